/** XML bodies in the shape the AWS Query protocol (STS, IAM) uses on the wire. */

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) =>
    ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '"' ? '&quot;' : '&apos;',
  );
}

/** A tree of elements: strings are escaped text, arrays repeat as `<member>` entries. */
export type XmlValue = string | number | boolean | Date | XmlObject | XmlValue[] | undefined;
export interface XmlObject {
  [name: string]: XmlValue;
}

/** AWS timestamps: ISO 8601 UTC without milliseconds, e.g. 2026-11-28T06:05:42Z. */
export function awsTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function renderXml(value: XmlValue): string {
  if (value === undefined) return '';
  if (value instanceof Date) return awsTimestamp(value);
  if (Array.isArray(value)) return value.map((item) => element('member', item)).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([name, child]) => (child === undefined ? '' : element(name, child)))
      .join('');
  }
  return escapeXml(String(value));
}

function element(name: string, value: XmlValue): string {
  return `<${name}>${renderXml(value)}</${name}>`;
}

/**
 * `<XResponse xmlns=…><XResult>…</XResult><ResponseMetadata><RequestId>…`; actions that return
 * nothing (iam:DeleteAccessKey) answer with `null` and have no Result element.
 */
export function successXml(namespace: string, action: string, result: XmlObject | null, requestId: string): string {
  return (
    `<${action}Response xmlns="${escapeXml(namespace)}">\n` +
    (result === null ? '' : `  <${action}Result>${renderXml(result)}</${action}Result>\n`) +
    `  <ResponseMetadata>\n    <RequestId>${escapeXml(requestId)}</RequestId>\n  </ResponseMetadata>\n` +
    `</${action}Response>\n`
  );
}

export type ErrorType = 'Sender' | 'Receiver';

/** `<ErrorResponse xmlns=…><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>` */
export function errorXml(namespace: string, type: ErrorType, code: string, message: string, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${escapeXml(namespace)}">\n` +
    `  <Error>\n    <Type>${type}</Type>\n    <Code>${escapeXml(code)}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n` +
    `  <RequestId>${escapeXml(requestId)}</RequestId>\n` +
    `</ErrorResponse>\n`
  );
}
