/**
 * `roles --fix`: what to change so each role profile sources from the MFA session profile and the
 * AWS CLI and SDKs assume it without another code: source_profile → the session profile,
 * mfa_serial removed (moved to the session profile when that has none), duration_seconds capped
 * at 3600. Edits the config text through the lossless engine; nothing else changes.
 */
import { configSectionName, type AwsFiles } from '../profiles/aws-files.js';
import { IniDocument } from '../profiles/ini-document.js';
import { ROLE_CHAINING_MAX_SECONDS, type RoleChain } from './chain.js';

export interface RoleFix {
  profile: string;
  /** Keys set in the role's config section. */
  set: Record<string, string>;
  /** Keys removed from it. */
  remove: string[];
  /** mfa_serial moved to the session profile (which had none). */
  session?: { profile: string; set: Record<string, string> };
}

const FIXABLE = new Set(['long-term-source', 'mfa-serial', 'duration']);

/** The edits for the role profiles whose problems a rewrite solves; `only`: just roles sourcing from that session profile. */
export function plannedFixes(files: AwsFiles, chains: RoleChain[], only?: string): RoleFix[] {
  const fixes: RoleFix[] = [];
  for (const chain of chains) {
    const session = chain.sessionProfile;
    if (!session || (only && session !== only)) continue;
    if (!chain.problems.some((p) => FIXABLE.has(p.code))) continue;
    const values = files.config[chain.profile];
    if (!values) continue; // a role defined in the credentials file: not ours to rewrite
    const fix: RoleFix = { profile: chain.profile, set: {}, remove: [] };
    if (chain.sourceKind === 'long-term-keys' && values.source_profile === chain.source)
      fix.set.source_profile = session;
    if (values.mfa_serial) {
      fix.remove.push('mfa_serial');
      if (!files.config[session]?.mfa_serial)
        fix.session = { profile: session, set: { mfa_serial: values.mfa_serial } };
    }
    const duration = Number.parseInt(values.duration_seconds ?? '', 10);
    if (duration > ROLE_CHAINING_MAX_SECONDS) fix.set.duration_seconds = String(ROLE_CHAINING_MAX_SECONDS);
    if (Object.keys(fix.set).length || fix.remove.length) fixes.push(fix);
  }
  return fixes;
}

/** The config text with the fixes applied (losslessly). */
export function applyFixes(configText: string, file: string, fixes: RoleFix[]): string {
  const doc = IniDocument.parse(configText, { file });
  const movedSerial = new Set<string>();
  for (const fix of fixes) {
    const section = configSectionName(fix.profile);
    if (Object.keys(fix.set).length) doc.set(section, fix.set);
    if (fix.remove.length) doc.delete(section, fix.remove);
    if (fix.session && !movedSerial.has(fix.session.profile)) {
      movedSerial.add(fix.session.profile);
      doc.set(configSectionName(fix.session.profile), fix.session.set);
    }
  }
  return doc.toString();
}
