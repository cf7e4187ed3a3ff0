// Shareable state: the playground state as JSON, deflated with the browser's CompressionStream
// and written into the URL hash as base64url (`#s=...`). Falls back to plain base64url JSON
// (`#j=...`) where CompressionStream is missing. A damaged link is an error the page shows.

function toBase64Url(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function pipe(bytes, stream) {
  const piped = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(piped).arrayBuffer());
}

/** The URL hash (without `#`) that encodes `state`. */
export async function encodeState(state) {
  const bytes = new TextEncoder().encode(JSON.stringify(state));
  if (typeof CompressionStream === 'function') {
    return 's=' + toBase64Url(await pipe(bytes, new CompressionStream('deflate-raw')));
  }
  return 'j=' + toBase64Url(bytes);
}

/**
 * The state in a URL hash, or null when the hash holds none (no `s=` or `j=` share link).
 * Throws an Error saying what is wrong when the hash is a share link that cannot be read.
 */
export async function decodeState(hash) {
  const h = hash.replace(/^#/, '');
  if (!h.startsWith('s=') && !h.startsWith('j=')) return null;
  let state;
  try {
    const bytes = fromBase64Url(h.slice(2));
    const json = h.startsWith('s=') ? await pipe(bytes, new DecompressionStream('deflate-raw')) : bytes;
    state = JSON.parse(new TextDecoder().decode(json));
  } catch (e) {
    console.warn('keyward: the shared state in the URL could not be read:', e);
    throw new Error('it is damaged or cut short');
  }
  if (state === null || typeof state !== 'object' || !Array.isArray(state.docs)) {
    throw new Error('it holds no playground state');
  }
  return state;
}
