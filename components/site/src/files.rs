//! Content types, entity tags and reading files from the static folder.

use std::io;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

/// Content types by file extension (compared in lowercase). A file with another extension is not
/// served, so a stray file in the static folder is never sent with a guessed type.
const CONTENT_TYPES: [(&str, &str); 14] = [
    ("html", "text/html; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("json", "application/json"),
    ("webmanifest", "application/manifest+json"),
    ("txt", "text/plain; charset=utf-8"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("webp", "image/webp"),
    ("ico", "image/x-icon"),
    ("woff2", "font/woff2"),
];

/// Returns the content type for a file name by its extension, or `None` for an extension the site
/// does not serve.
pub fn content_type(file_name: &str) -> Option<&'static str> {
    let (_, extension) = file_name.rsplit_once('.')?;
    let extension = extension.to_ascii_lowercase();
    CONTENT_TYPES.iter().find(|(known, _)| *known == extension).map(|(_, content_type)| *content_type)
}

/// Builds a strong entity tag from the body: the first 128 bits of its SHA-256, in hex and quoted.
pub fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|byte| format!("{byte:02x}")).collect();
    format!("\"{hex}\"")
}

/// Tells whether an `If-None-Match` header matches `etag`. Per RFC 9110 the comparison is weak, so
/// `W/"x"` matches `"x"`, and `*` matches any current representation.
pub fn etag_matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag)
}

/// Reads the file at `relative` under `root`. Returns `Ok(None)` when there is no regular file there
/// (missing, a directory, or a path that is not plain relative segments).
pub fn read_file(root: &Path, relative: &str) -> io::Result<Option<Vec<u8>>> {
    let Some(path) = join_inside(root, relative) else {
        return Ok(None);
    };
    let metadata = match std::fs::metadata(&path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    if !metadata.is_file() {
        return Ok(None);
    }
    std::fs::read(&path).map(Some)
}

/// Joins `relative` to `root` when every component of `relative` is a plain name. The paths reaching
/// here were already checked by [`crate::path::asset_path`]; this repeats the essential check next to
/// the file system call.
fn join_inside(root: &Path, relative: &str) -> Option<PathBuf> {
    let relative = Path::new(relative);
    let plain = relative.components().all(|component| matches!(component, Component::Normal(_)));
    (plain && !relative.as_os_str().is_empty()).then(|| root.join(relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_follow_extension() {
        let cases = [
            ("index.html", "text/html; charset=utf-8"),
            ("css/site.css", "text/css; charset=utf-8"),
            ("js/studio.js", "text/javascript; charset=utf-8"),
            ("data.json", "application/json"),
            ("site.webmanifest", "application/manifest+json"),
            ("robots.txt", "text/plain; charset=utf-8"),
            ("img/logo.svg", "image/svg+xml"),
            ("img/photo.png", "image/png"),
            ("img/PHOTO.PNG", "image/png"),
            ("favicon.ico", "image/x-icon"),
        ];
        for (name, expected) in cases {
            assert_eq!(content_type(name), Some(expected), "{name}");
        }
        for name in ["spin.toml", "notes.md", "archive.tar.gz", "Makefile", "script.sh", "html"] {
            assert_eq!(content_type(name), None, "{name}");
        }
    }

    #[test]
    fn etag_is_quoted_content_hash() {
        let tag = etag(b"body");
        assert_eq!(tag.len(), 34);
        assert!(tag.starts_with('"'), "{tag}");
        assert!(tag.ends_with('"'), "{tag}");
        assert_eq!(tag, etag(b"body"));
        assert_ne!(tag, etag(b"body2"));
        assert_eq!(etag(b""), "\"e3b0c44298fc1c149afbf4c8996fb924\"");
    }

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let tag = "\"abc\"";
        assert!(etag_matches("\"abc\"", tag));
        assert!(etag_matches("W/\"abc\"", tag));
        assert!(etag_matches("\"x\", \"abc\"", tag));
        assert!(etag_matches("*", tag));
        assert!(!etag_matches("\"abcd\"", tag));
        assert!(!etag_matches("abc", tag));
        assert!(!etag_matches("", tag));
    }

    #[test]
    fn read_file_skips_directories_and_missing_files() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("css")).unwrap();
        std::fs::write(root.path().join("css/site.css"), "body{}").unwrap();

        assert_eq!(read_file(root.path(), "css/site.css").unwrap().as_deref(), Some(&b"body{}"[..]));
        assert_eq!(read_file(root.path(), "css").unwrap(), None);
        assert_eq!(read_file(root.path(), "css/missing.css").unwrap(), None);
        assert_eq!(read_file(root.path(), "missing/site.css").unwrap(), None);
    }

    #[test]
    fn read_file_rejects_non_plain_paths() {
        let parent = tempfile::tempdir().unwrap();
        let root = parent.path().join("static");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(parent.path().join("secret.txt"), "secret").unwrap();

        for relative in ["../secret.txt", "./../secret.txt", "", "/etc/passwd"] {
            assert_eq!(read_file(&root, relative).unwrap(), None, "{relative:?}");
        }
        let absolute = parent.path().join("secret.txt");
        assert_eq!(read_file(&root, absolute.to_str().unwrap()).unwrap(), None);
    }
}
