// rolldown through its JavaScript API (its CLI ignores RD_LOG; the API's import sets up tracing).
import { rolldown } from 'rolldown';
const bundle = await rolldown({ input: 'src/main.js' });
await bundle.write({ file: 'out/rolldown-bundle.js', format: 'esm' });
await bundle.close();
