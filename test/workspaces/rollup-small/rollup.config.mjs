export default {
  input: 'src/main.js',
  output: { file: 'out/bundle.js', format: 'es' },
};
