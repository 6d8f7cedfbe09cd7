import { Interrupted, isPromptAbort, type PromptStreams } from '../mfa/terminal.js';

/** A yes/no question on the terminal (default yes unless said); Ctrl+C is an interruption. */
export async function confirm(message: string, streams: PromptStreams, byDefault = true): Promise<boolean> {
  const { default: ask } = await import('@inquirer/confirm');
  try {
    return await ask({ message, default: byDefault }, streams);
  } catch (error) {
    if (isPromptAbort(error)) throw new Interrupted();
    throw error;
  }
}
