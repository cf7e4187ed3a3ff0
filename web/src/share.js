// Shareable state: the playground state as JSON, deflated with the browser's CompressionStream
// and written into the URL hash as base64url (`#s=...`). Falls back to plain base64url JSON
// (`#j=...`) where CompressionStream is missing.

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

/** The state in a URL hash, or null when the hash holds none (or is damaged). */
export async function decodeState(hash) {
  const h = hash.replace(/^#/, '');
  try {
    if (h.startsWith('s=')) {
      const bytes = await pipe(fromBase64Url(h.slice(2)), new DecompressionStream('deflate-raw'));
      return JSON.parse(new TextDecoder().decode(bytes));
    }
    if (h.startsWith('j=')) {
      return JSON.parse(new TextDecoder().decode(fromBase64Url(h.slice(2))));
    }
  } catch (e) {
    console.warn('keyward: the shared state in the URL could not be read:', e);
  }
  return null;
}
