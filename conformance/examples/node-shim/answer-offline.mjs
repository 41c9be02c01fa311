#!/usr/bin/env node
// Offline mode (spec/shim-protocol.md, "Offline mode"): answer a request file written by
// `ihp-conformance export` with this implementation's dispatch module directly, no shim
// process, and write the response file for `ihp-conformance judge`.
//   node answer-offline.mjs requests.json responses.json
// The reader keeps u64 integers exact (BigInt); the steps of one case are answered in
// order, so a replay sequence meets one guard.
import { readFileSync, writeFileSync } from 'node:fs';
import { OPERATIONS, handleLine } from './lib/dispatch.mjs';
import { parseJson, toJson } from './lib/json.mjs';

const [requestsPath, responsesPath] = process.argv.slice(2);
if (!requestsPath || !responsesPath) {
  process.stderr.write('usage: node answer-offline.mjs requests.json responses.json\n');
  process.exit(2);
}
const requests = parseJson(readFileSync(requestsPath, 'utf8'), { constants: true });
const answers = new Map();
let id = 0n;
for (const request of requests.get('requests')) {
  const op = request.get('op');
  answers.set(request.get('id'), request.get('steps').map((args) => {
    id += 1n;
    const { id: _, ...response } = handleLine(toJson(new Map([['id', id], ['op', op], ['args', args]])));
    return response;
  }));
}
const hello = OPERATIONS.hello();
writeFileSync(responsesPath, toJson(new Map([
  ['schema', 'ihp-conformance-responses/1'],
  ['requests_digest', requests.get('digest')],
  ['implementation', hello.implementation],
  ['version', hello.version],
  ['responses', answers],
])) + '\n');
