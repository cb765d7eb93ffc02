/**
 * Reading request bodies and writing answers over `node:http`: bodies are bounded (the
 * Content-Length is checked before any byte is read, and the bytes as they come) and must be
 * JSON; answers are JSON with Lavalink's `Lavalink-Api-Version` header.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-error.js';
import { stringify } from './json.js';

/** Headers on every answer: Lavalink's API version. */
export const API_HEADERS = { 'Lavalink-Api-Version': '4' } as const;

/**
 * Reads the body as JSON, at most `limit` bytes.
 *
 * @throws {HttpError} 413 when it is larger, 400 when it is empty or not JSON.
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new HttpError(413, `The request body is ${declared} bytes; at most ${limit} are accepted`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new HttpError(413, `The request body is over ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'The request body is empty; a JSON body is required');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, `The request body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** Writes a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = stringify(body);
  res.writeHead(status, { ...API_HEADERS, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes a plain-text answer (`GET /version`). */
export function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...API_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes an answer without a body (204). */
export function sendEmpty(res: ServerResponse, status: number): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, API_HEADERS);
  res.end();
}
