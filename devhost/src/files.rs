//! Staging of a component's `files` for a read-only mount at `/`.
//!
//! Like `spin up` for a local application (without `--direct-mounts`), devhost copies the
//! matched files into a temporary directory once at start-up and preopens that directory as the
//! guest's `/`. A string entry is a path or glob pattern relative to the manifest folder and
//! keeps its relative path in the guest; a `{ source, destination }` entry places a file or a
//! whole directory tree at `destination`. `exclude_files` patterns, relative to the manifest
//! folder, remove files from either kind of entry.

use std::path::{Component as PathComponent, Path, PathBuf};

use anyhow::{Context, bail, ensure};

use crate::manifest::FileMount;

/// A component's staged files; the directory is removed when this value is dropped.
#[derive(Debug)]
pub struct StagedFiles {
    /// The temporary directory mounted as the guest's `/`.
    dir: tempfile::TempDir,
    /// Number of files copied.
    pub file_count: usize,
}

impl StagedFiles {
    /// Returns the host directory to preopen as `/`.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Copies the files listed by `mounts` into a new temporary directory.
pub fn stage(
    component_id: &str,
    app_dir: &Path,
    mounts: &[FileMount],
    exclude_files: &[String],
) -> anyhow::Result<StagedFiles> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("devhost-{component_id}-"))
        .tempdir()
        .context("failed to create a temporary directory for component files")?;
    let excludes = exclude_files
        .iter()
        .map(|pattern| {
            glob::Pattern::new(pattern)
                .with_context(|| format!("invalid `exclude_files` pattern {pattern:?}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let is_excluded = |relative: &Path| excludes.iter().any(|pattern| pattern.matches_path(relative));

    let mut file_count = 0;
    for mount in mounts {
        let copies = match mount {
            FileMount::Pattern(pattern) => pattern_files(app_dir, pattern)?,
            FileMount::Placement(placement) => {
                placement_files(app_dir, &placement.source, &placement.destination)?
            }
        };
        if copies.is_empty() {
            tracing::warn!(component = component_id, entry = ?mount, "files entry matched no files");
        }
        for (source, relative_source, guest_path) in copies {
            if is_excluded(&relative_source) {
                continue;
            }
            let target = dir.path().join(&guest_path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("failed to create {}", parent.display()))?;
            }
            std::fs::copy(&source, &target).with_context(|| {
                format!("failed to copy {} for component `{component_id}`", source.display())
            })?;
            file_count += 1;
        }
    }
    Ok(StagedFiles { dir, file_count })
}

/// A file to copy: host path, path relative to the manifest folder, guest path without the
/// leading `/`.
type Copy = (PathBuf, PathBuf, PathBuf);

/// Lists the files matched by a string entry.
fn pattern_files(app_dir: &Path, pattern: &str) -> anyhow::Result<Vec<Copy>> {
    let relative_pattern = checked_relative(pattern)?;
    let escaped_dir = glob::Pattern::escape(&app_dir.to_string_lossy());
    let full_pattern = format!("{escaped_dir}/{}", relative_pattern.to_string_lossy());
    let mut copies = Vec::new();
    for entry in glob::glob(&full_pattern).with_context(|| format!("invalid `files` pattern {pattern:?}"))? {
        let path = entry.with_context(|| format!("failed to read a match of `files` pattern {pattern:?}"))?;
        if !path.is_file() {
            continue;
        }
        let relative =
            path.strip_prefix(app_dir).context("glob match outside the manifest folder")?.to_path_buf();
        copies.push((path, relative.clone(), relative));
    }
    Ok(copies)
}

/// Lists the files of a `{ source, destination }` entry.
fn placement_files(app_dir: &Path, source: &str, destination: &str) -> anyhow::Result<Vec<Copy>> {
    let relative_source = checked_relative(source)?;
    let guest_root = checked_relative(destination.trim_start_matches('/'))?;
    let host_source = app_dir.join(&relative_source);
    let metadata = std::fs::metadata(&host_source)
        .with_context(|| format!("`files` source {} not found", host_source.display()))?;

    if metadata.is_file() {
        return Ok(vec![(host_source, relative_source, guest_root)]);
    }
    let mut copies = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(sub) = pending.pop() {
        let dir = host_source.join(&sub);
        for entry in std::fs::read_dir(&dir).with_context(|| format!("failed to read {}", dir.display()))? {
            let entry = entry.with_context(|| format!("failed to read {}", dir.display()))?;
            let sub_path = sub.join(entry.file_name());
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                pending.push(sub_path);
            } else if entry.path().is_file() {
                copies.push((entry.path(), relative_source.join(&sub_path), guest_root.join(&sub_path)));
            }
        }
    }
    Ok(copies)
}

/// Checks that a manifest path stays inside its root: relative, with no `..`.
fn checked_relative(path: &str) -> anyhow::Result<PathBuf> {
    let path = Path::new(path);
    ensure!(!path.is_absolute(), "`files` path {} must be relative to the manifest folder", path.display());
    for part in path.components() {
        if matches!(part, PathComponent::ParentDir | PathComponent::Prefix(_) | PathComponent::RootDir) {
            bail!("`files` path {} must not leave the manifest folder (`..`)", path.display());
        }
    }
    Ok(path.components().filter(|part| !matches!(part, PathComponent::CurDir)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::FilePlacement;

    fn app_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("static/css")).unwrap();
        std::fs::write(dir.path().join("static/index.html"), "<h1>hi</h1>").unwrap();
        std::fs::write(dir.path().join("static/css/site.css"), "body{}").unwrap();
        std::fs::write(dir.path().join("static/secret.key"), "k").unwrap();
        std::fs::write(dir.path().join("logo.png"), "png").unwrap();
        dir
    }

    #[test]
    fn glob_keeps_relative_paths() {
        let app = app_dir();
        let staged = stage("site", app.path(), &[FileMount::Pattern("static/*.html".into())], &[]).unwrap();
        assert!(staged.path().join("static/index.html").is_file());
        assert!(!staged.path().join("static/css/site.css").exists());
        assert_eq!(staged.file_count, 1);
    }

    #[test]
    fn directory_placement_copies_tree_with_excludes() {
        let app = app_dir();
        let mount = FileMount::Placement(FilePlacement { source: "static".into(), destination: "/".into() });
        let staged = stage("site", app.path(), &[mount], &["static/*.key".into()]).unwrap();
        assert!(staged.path().join("index.html").is_file());
        assert!(staged.path().join("css/site.css").is_file());
        assert!(!staged.path().join("secret.key").exists());
    }

    #[test]
    fn file_placement_uses_destination() {
        let app = app_dir();
        let mount = FileMount::Placement(FilePlacement {
            source: "logo.png".into(),
            destination: "/img/logo.png".into(),
        });
        let staged = stage("site", app.path(), &[mount], &[]).unwrap();
        assert_eq!(std::fs::read_to_string(staged.path().join("img/logo.png")).unwrap(), "png");
    }

    #[test]
    fn paths_outside_the_manifest_folder_are_rejected() {
        let app = app_dir();
        assert!(stage("site", app.path(), &[FileMount::Pattern("../*".into())], &[]).is_err());
        let mount = FileMount::Placement(FilePlacement { source: "/etc".into(), destination: "/".into() });
        assert!(stage("site", app.path(), &[mount], &[]).is_err());
    }

    #[test]
    fn missing_source_is_an_error() {
        let app = app_dir();
        let mount = FileMount::Placement(FilePlacement { source: "nope".into(), destination: "/".into() });
        let error = format!("{:#}", stage("site", app.path(), &[mount], &[]).unwrap_err());
        assert!(error.contains("not found"), "{error}");
    }
}
