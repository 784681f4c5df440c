import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { build as prettyStream } from 'pino-pretty';
import type { LogFormatSetting } from '../config/config';

export type LogFormat = Exclude<LogFormatSetting, 'auto'>;

/**
 * Readable lines for a person at a terminal, JSON lines for whatever collects the logs
 * (a pipe, a file, a container runtime without a TTY). `LOG_FORMAT` overrides the guess, e.g.
 * `json` under `docker run -t`, or `pretty` through `| less -R`.
 */
export function chooseLogFormat(setting: LogFormatSetting, stdout: { isTTY?: boolean }): LogFormat {
  if (setting !== 'auto') return setting;
  return stdout.isTTY === true ? 'pretty' : 'json';
}

/**
 * Where pino writes: for `json` pino's own stdout destination (undefined); for `pretty`,
 * pino-pretty as a synchronous stream in this thread (no transport worker thread, nothing lost
 * when the process exits), colours when the terminal takes them (NO_COLOR is honoured).
 */
export function logDestination(
  format: LogFormat,
  output: NodeJS.WritableStream | number = 1,
): DestinationStream | undefined {
  if (format === 'json') return undefined;
  return prettyStream({
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // `[Context] message` on one line; other fields follow, indented.
    messageFormat: '{if context}[{context}] {end}{msg}',
    ignore: 'pid,hostname,context',
    destination: output,
  });
}

/** A pino logger writing in `format` (main.ts's own lines, before and after the app). */
export function createLogger(options: LoggerOptions, format: LogFormat): Logger {
  const destination = logDestination(format);
  return destination ? pino(options, destination) : pino(options);
}
