/**
 * Where a document's file lives: `<profile id>/<document id>/<file name>`, in the local
 * folder and in the Supabase bucket alike. This module is the one place the layout is
 * built and checked in TypeScript; the database checks the same form in
 * private.object_profile_id() (migration 2100), which both the documents.storage_path
 * constraint and the Storage bucket policies use.
 *
 * A path is accepted only in its canonical form: two lower-case uuids and a file name of
 * safe characters that cannot start with a dot, so no `.` or `..` step, no empty
 * segment, no backslash, no percent-encoding. Comparing only the first segment with the
 * profile was not enough: `<own profile>/../<other profile>/…` passed and resolved into
 * another family's folder.
 */
import { StorageError } from './storage-error.js';

/** A stored object and the profile whose folder it must be in. */
export interface ObjectRef {
  profileId: string;
  path: string;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/**
 * The characters fileNames() (src/http/documents/receive-upload.ts) keeps, ≤ 200 of them,
 * never a leading dot or space. Supabase Storage accepts all of them in object keys.
 */
export const SAFE_FILE_NAME = /^[A-Za-z0-9_()+,!'-][A-Za-z0-9 ._()+,!'-]{0,199}$/;
const CANONICAL = new RegExp(`^(${UUID})/(${UUID})/([^/]+)$`);

/** The canonical path of a document's file; throws storage_bad_path for an unsafe name or a malformed id. */
export function documentObjectPath(profileId: string, documentId: string, fileName: string): ObjectRef {
  const profile = profileId.toLowerCase();
  return checkedObject({ profileId: profile, path: `${profile}/${documentId.toLowerCase()}/${fileName}` });
}

/**
 * The path, if it is canonical and inside the profile's own folder; else storage_bad_path.
 * Every adapter calls this before it touches a file, whatever its caller checked.
 */
export function checkedObject(ref: ObjectRef): ObjectRef {
  const match = CANONICAL.exec(ref.path);
  if (!match || !SAFE_FILE_NAME.test(match[3]!)) {
    throw new StorageError('storage_bad_path', 'the object path is not <profile id>/<document id>/<file name>');
  }
  if (match[1] !== ref.profileId.toLowerCase()) {
    throw new StorageError('storage_bad_path', 'the object path is outside the profile\'s folder');
  }
  return ref;
}
