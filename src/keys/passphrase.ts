/**
 * The encrypted file's passphrase: from AWS_MFA_REFRESH_PASSPHRASE (automation; see its risks in
 * encrypted-file-store.ts and the README), else asked on the terminal with hidden input, twice
 * when the file is about to be created. Never from argv.
 */
import { existsSync } from 'node:fs';
import { Interrupted, isPromptAbort, needInput, type PromptStreams } from '../mfa/terminal.js';
import { PASSPHRASE_ENV, defaultKeyFile } from './encrypted-file-store.js';

export interface PassphraseSource {
  env: NodeJS.ProcessEnv;
  /** Where to ask; undefined when there is no terminal. */
  streams: () => PromptStreams | undefined | Promise<PromptStreams | undefined>;
  /** The key file (default: the default key file). */
  path?: string;
}

export function passphraseFrom(source: PassphraseSource): () => Promise<string> {
  return async () => {
    const fromEnv = source.env[PASSPHRASE_ENV];
    if (fromEnv) return fromEnv;
    const path = source.path ?? defaultKeyFile(source.env);
    const streams = await source.streams();
    if (!streams)
      throw needInput(`The key file ${path} needs its passphrase`, `Run in a terminal, or set ${PASSPHRASE_ENV}.`);
    const { default: password } = await import('@inquirer/password');
    try {
      const creating = !existsSync(path);
      const message = creating ? `New passphrase for ${path}:` : `Passphrase for ${path}:`;
      const first = await password(
        { message, mask: false, validate: (v) => (v ? true : 'Type a passphrase.') },
        streams,
      );
      if (!creating) return first;
      await password(
        { message: 'Type it again:', mask: false, validate: (v) => (v === first ? true : 'The two do not match.') },
        streams,
      );
      return first;
    } catch (error) {
      if (isPromptAbort(error)) throw new Interrupted();
      throw error;
    }
  };
}
