/**
 * Type-checks files in a child process. A whole-program check is seconds of synchronous work (over a minute on a
 * busy 2-core machine); run in a vitest worker it would starve the worker's RPC and fail the run.
 */
import { execFile } from 'node:child_process';

/** One diagnostic of a checked file. */
export interface TypeDiagnostic {
  readonly file: string;
  readonly line: number;
  readonly code: number;
  readonly message: string;
}

export interface TypeCheckRequest {
  /** A tsconfig as JSON (e.g. `{ extends, compilerOptions, files }`), resolved against `basePath`. */
  readonly tsconfig: object;
  readonly basePath: string;
  /** Text to check in place of a file's content, by absolute path; a path that does not exist is added as a root. */
  readonly overrides?: Readonly<Record<string, string>>;
  /** Only diagnostics of files whose path starts with one of these are returned. */
  readonly reportUnder: readonly string[];
}

const CHECKER = `
import ts from 'typescript';
const request = JSON.parse(process.argv[1]);
const overrides = request.overrides ?? {};
const config = ts.parseJsonConfigFileContent(request.tsconfig, ts.sys, request.basePath);
const host = ts.createCompilerHost(config.options);
const getSourceFile = host.getSourceFile.bind(host);
const fileExists = host.fileExists.bind(host);
host.getSourceFile = (name, version, onError, create) =>
  name in overrides ? ts.createSourceFile(name, overrides[name], version, true) : getSourceFile(name, version, onError, create);
host.fileExists = (name) => name in overrides || fileExists(name);
const rootNames = [...new Set([...config.fileNames, ...Object.keys(overrides)])];
const program = ts.createProgram({ rootNames, options: { ...config.options, noEmit: true }, host });
const diagnostics = ts
  .getPreEmitDiagnostics(program)
  .filter((d) => d.file && request.reportUnder.some((prefix) => d.file.fileName.startsWith(prefix)))
  .map((d) => ({
    file: d.file.fileName,
    line: d.file.getLineAndCharacterOfPosition(d.start).line + 1,
    code: d.code,
    message: ts.flattenDiagnosticMessageText(d.messageText, '\\n'),
  }));
process.stdout.write(JSON.stringify(diagnostics));
`;

/** The diagnostics of one program built from `request`, computed in a child process. */
export function typeCheck(request: TypeCheckRequest): Promise<TypeDiagnostic[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', CHECKER, JSON.stringify(request)],
      { cwd: request.basePath, maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`type check failed to run: ${error.message}\n${stderr}`))
          : resolve(JSON.parse(stdout) as TypeDiagnostic[]),
    );
  });
}
