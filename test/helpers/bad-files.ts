/** Files that must be refused with a clear reason, made by code. */

/**
 * A PDF protected by the standard security handler (RC4, revision 2) whose user
 * password is not empty: the /U check fails for the empty password, so a reader
 * must ask for one. Nothing inside needs to decrypt for that.
 */
export function encryptedPdf(): Uint8Array {
  const hex = (bytes: number) => 'ab'.repeat(bytes);
  return new TextEncoder().encode(`%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj
4 0 obj << /Filter /Standard /V 1 /R 2 /O <${hex(32)}> /U <${hex(32)}> /P -4 >> endobj
trailer << /Root 1 0 R /Encrypt 4 0 R /ID [<${hex(16)}> <${hex(16)}>] /Size 5 >>
%%EOF
`);
}
