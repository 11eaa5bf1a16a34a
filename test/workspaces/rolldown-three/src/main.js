// All of three.js, so that the bundle has real work: export everything it exports.
export * from 'three';
