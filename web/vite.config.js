// Vite configuration for the keyward playground: builds web/ into static files in web/dist,
// resolving the `keyward-wasm` import to the wasm-bindgen `--target web` package in
// ../wasm/pkg-web and allowing the example policies in ../policies to be bundled.
import { defineConfig } from 'vite';
import { readFileSync, existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
// KEYWARD_WASM_PKG may point at another build of the package (a folder like wasm/pkg-web).
const pkgDir = resolve(process.env.KEYWARD_WASM_PKG || resolve(repo, 'wasm/pkg-web'));

// The entry module of the wasm-bindgen package, read from its package.json so the page does not
// depend on the crate's file name.
function wasmEntry() {
  const manifest = resolve(pkgDir, 'package.json');
  if (!existsSync(manifest)) {
    throw new Error(`${manifest} is missing: run wasm/build.sh first`);
  }
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  return resolve(pkgDir, pkg.module || pkg.main);
}

export default defineConfig({
  root: here,
  base: './',
  resolve: { alias: { 'keyward-wasm': wasmEntry() } },
  server: { fs: { allow: [repo] } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Keep the .wasm a separate file (it is large and loads with streaming compilation).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
