// orval's configuration for the generator matrix (./run). splitByContentType
// makes one function per request body type (postMessageJson, postMessageText...),
// each sending its own Content-Type; without it orval types postMessage's body
// as a union and sends it with none, which tincan refuses (415).
export default {
  tincan: {
    input: '../openapi.yaml',
    output: {
      target: 'out/orval/tincan.ts',
      client: 'fetch',
      mode: 'single',
      override: { splitByContentType: true },
    },
  },
};
