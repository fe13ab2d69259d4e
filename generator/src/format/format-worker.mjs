// A prettier worker for the format pool: formats one file per message with the options it is sent.
import { parentPort } from 'node:worker_threads';
import * as babel from 'prettier/plugins/babel';
import * as estree from 'prettier/plugins/estree';
import * as typescript from 'prettier/plugins/typescript';
import { format } from 'prettier/standalone';

parentPort.on('message', async ({ id, text, options }) => {
  try {
    parentPort.postMessage({ id, out: await format(text, { ...options, plugins: [babel, estree, typescript] }) });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
