// Ollama over HTTP (`POST /api/chat`, NDJSON stream). Text roles take the
// reply as their final message; implementers reply with whole-file edit
// blocks, which conductor applies inside the worktree only.
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { classifyErrorText } from '../classify.js';
import type { CallContext, Provider, ProviderResult } from '../types.js';
import type { ProviderSettings } from '../../config/types.js';
import { resolveInside } from '../../util/inside.js';
import { formatCount } from '../../util/format.js';

export const DEFAULT_OLLAMA_URL = 'http://127.0.0.1:11434';

export const EDIT_INSTRUCTIONS = `

---

You cannot run tools. To change files, reply with the complete new content of each file you change, in blocks exactly like this (paths relative to the repository root):

=== FILE: path/to/file.ext ===
…the whole file…
=== END FILE ===
`;

export interface FileEdit {
  path: string;
  content: string;
}

/** Whole-file edit blocks in a reply. */
export function parseEditBlocks(reply: string): FileEdit[] {
  const edits: FileEdit[] = [];
  const pattern = /^=== FILE: (.+?) ===\n([\s\S]*?)^=== END FILE ===$/gm;
  for (const match of reply.matchAll(pattern)) edits.push({ path: match[1]!.trim(), content: match[2]! });
  return edits;
}

/** Write the edits into `root`, refusing any path that would land outside it or in .git. */
export async function applyEdits(root: string, edits: readonly FileEdit[]): Promise<{ written: string[]; refused: string[] }> {
  const written: string[] = [];
  const refused: string[] = [];
  for (const edit of edits) {
    const target = resolveInside(root, edit.path);
    if (!target || /(^|[\\/])\.git([\\/]|$)/.test(edit.path)) {
      refused.push(edit.path);
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, edit.content);
    written.push(edit.path);
  }
  return { written, refused };
}

export function ollamaProvider(settings: ProviderSettings = {}): Provider {
  return {
    name: 'ollama',
    async run(call: CallContext): Promise<ProviderResult> {
      const baseUrl = settings.baseUrl ?? call.parentEnv.OLLAMA_HOST ?? DEFAULT_OLLAMA_URL;
      const model = call.request.model ?? settings.model;
      if (!model) return { exit: 'failed', finalMessage: '', detail: 'ollama needs a model: set roles.<role>.model or providers.ollama.model' };
      const worker = call.request.role === 'implementer';
      const prompt = worker ? call.request.prompt + EDIT_INSTRUCTIONS : call.request.prompt;
      await writeFile(call.logPath, `# POST ${baseUrl}/api/chat model=${model} (${formatCount(Buffer.byteLength(prompt))} bytes)\n`);

      const controller = new AbortController();
      let why: 'hung' | 'timed-out' | 'cancelled' | undefined;
      const stop = (reason: typeof why) => {
        why ??= reason;
        controller.abort();
      };
      let idle = setTimeout(() => stop('hung'), call.request.timeouts.inactivityMs);
      const hard = setTimeout(() => stop('timed-out'), call.request.timeouts.hardMs);
      const onCancel = () => stop('cancelled');
      call.request.signal?.addEventListener('abort', onCancel, { once: true });
      let reply = '';
      let usage: ProviderResult['usage'];
      try {
        const response = await fetch(new URL('/api/chat', baseUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: prompt }], stream: true }),
          signal: controller.signal,
        });
        if (!response.ok || !response.body) {
          const text = await response.text().catch(() => '');
          const exit = response.status === 429 ? 'quota' : response.status === 401 || response.status === 403 ? 'auth' : 'failed';
          return { exit, finalMessage: '', detail: `HTTP ${response.status}: ${text.slice(0, 300)}` };
        }
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const chunk of response.body) {
          clearTimeout(idle);
          idle = setTimeout(() => stop('hung'), call.request.timeouts.inactivityMs);
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n')) !== -1) {
            const line = buffer.slice(0, cut).trim();
            buffer = buffer.slice(cut + 1);
            if (!line) continue;
            const event = JSON.parse(line) as { message?: { content?: string }; done?: boolean; error?: string; prompt_eval_count?: number; eval_count?: number };
            if (event.error) return { exit: classifyErrorText(event.error, 'failed'), finalMessage: reply, detail: event.error };
            reply += event.message?.content ?? '';
            if (event.done) usage = { inputTokens: event.prompt_eval_count ?? 0, outputTokens: event.eval_count ?? 0 };
          }
        }
      } catch (error) {
        if (why) return { exit: why, finalMessage: reply, detail: why === 'hung' ? 'no output for the inactivity timeout' : why };
        const message = (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED' ? `no ollama server at ${baseUrl}` : (error as Error).message;
        return { exit: 'failed', finalMessage: reply, detail: message };
      } finally {
        clearTimeout(idle);
        clearTimeout(hard);
        call.request.signal?.removeEventListener('abort', onCancel);
        await appendFile(call.logPath, call.redact(reply)).catch(() => undefined);
      }
      const result: ProviderResult = { exit: reply.trim() ? 'ok' : 'no-output', finalMessage: reply, ...(usage ? { usage } : {}) };
      if (worker) {
        const { written, refused } = await applyEdits(call.request.cwd, parseEditBlocks(reply));
        if (refused.length > 0) return { ...result, exit: 'failed', detail: `refused edits outside the worktree: ${refused.join(', ')}` };
        if (written.length === 0) return { ...result, exit: 'no-output', detail: 'the reply held no file edit blocks' };
      }
      return result;
    },
  };
}
