#!/usr/bin/env node
// ihp-shim/1 over stdio (spec/shim-protocol.md): one JSON request per stdin line, one response
// per stdout line, in request order; exit 0 when stdin closes. The protocol work is in
// lib/dispatch.mjs; this file only moves lines.
import { createWriteStream } from 'node:fs';
import { handleLine } from './lib/dispatch.mjs';
import { toJson } from './lib/json.mjs';

function main() {
  // An fs stream writes from libuv's thread pool: the event loop keeps reading stdin while
  // a slow reader holds stdout up (pipelining, spec/shim-protocol.md), and order is kept.
  const out = createWriteStream(null, { fd: 1 });
  out.on('error', () => process.exit(0)); // the runner went away: nothing left to answer
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let pending = [];
  const onLine = (buffer) => {
    let line;
    try {
      line = utf8.decode(buffer);
    } catch {
      const response = { id: null, ok: false, error: 'Codec', detail: 'request is not UTF-8' };
      out.write(toJson(response) + '\n');
      return;
    }
    if (line.trim() === '') return;
    let response;
    try {
      response = toJson(handleLine(line));
    } catch (error) { // last resort: still one well-formed line per request
      process.stderr.write(`ihp-node-shim: ${error?.stack ?? error}\n`);
      response = toJson({ id: null, ok: false, error: 'ShimInternalError', detail: 'response' });
    }
    out.write(response + '\n');
  };
  process.stdin.on('data', (chunk) => {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, nl));
      onLine(Buffer.concat(pending));
      pending = [];
      start = nl + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  });
  process.stdin.on('end', () => {
    if (pending.length > 0) onLine(Buffer.concat(pending));
    out.end(() => process.exit(0));
  });
}

main();
