// Bundles all of three.js with rolldown's JavaScript API (its CLI ignores RD_LOG; the API's import
// sets up tracing). `--minify` (or MINIFY=1) turns minification on; `--out-dir D` (default out/)
// says where the bundle goes.
import { rolldown } from 'rolldown';
const args = process.argv.slice(2);
const minify = args.includes('--minify') || process.env.MINIFY === '1';
const outDir = args.includes('--out-dir') ? args[args.indexOf('--out-dir') + 1] : 'out';
const bundle = await rolldown({ input: 'src/main.js' });
await bundle.write({ file: `${outDir}/three${minify ? '.min' : ''}.js`, format: 'esm', minify });
await bundle.close();
