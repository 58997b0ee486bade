-- The documents bucket refuses what the api refuses: files over 25 MiB (DOCUMENT_MAX_MB's
-- default) and types Guardian cannot read. A client may upload straight to Storage (the
-- policies allow it for a profile it manages); without these limits such an upload
-- could store a file the pipeline then fails on, or one far larger than any document.
-- supabase/config.toml declares the same bucket for the CLI (test/supabase/config.test.ts
-- keeps the two and the api in step).
update storage.buckets
   set file_size_limit = 25 * 1024 * 1024,
       allowed_mime_types = array['application/pdf', 'image/png', 'image/jpeg', 'image/tiff', 'image/webp']
 where id = 'documents';
