//! Start-up: turns a checked manifest into compiled, pre-instantiated components and a router.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{FsPerms, WasiCtx};
use wasmtime_wasi_http::WasiHttpCtx;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::allowed_hosts::AllowedHosts;
use crate::files::StagedFiles;
use crate::manifest::{self, ComponentSource, RouteConfig, StaticResponse};
use crate::routes::{Router, Target};
use crate::state::{ComponentPolicy, InstanceState, OutboundHttp};
use crate::variables::AppVariables;

/// Options that change how the manifest is loaded.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Folder in which component Wasm files are looked up by file name, in place of the
    /// manifest's `source` paths.
    pub wasm_dir: Option<PathBuf>,
}

/// A component ready to serve requests.
pub struct LoadedComponent {
    /// Permissions and variables.
    pub policy: Arc<ComponentPolicy>,
    /// The compiled component, linked once at start-up so each request only instantiates.
    pub pre: ProxyPre<InstanceState>,
    /// Environment variables from the manifest's `environment` table.
    environment: Vec<(String, String)>,
    /// Staged `files`, mounted read-only at `/`; `None` when the component lists no files.
    files: Option<StagedFiles>,
}

/// The running application: everything a request needs, shared read-only between requests.
pub struct AppRuntime {
    /// Application name from the manifest.
    pub name: String,
    /// Application version from the manifest.
    pub version: Option<String>,
    /// The route table.
    pub router: Router,
    /// Components by id.
    pub components: BTreeMap<String, LoadedComponent>,
    /// Static responses by trigger index.
    pub static_responses: BTreeMap<usize, StaticResponse>,
}

impl LoadedComponent {
    /// Creates the store for one request: fresh WASI state with the component's environment
    /// and files, and its permissions.
    pub fn new_store(&self) -> anyhow::Result<Store<InstanceState>> {
        let mut wasi = WasiCtx::builder();
        wasi.stdout(std::io::stderr()).stderr(std::io::stderr()).envs(&self.environment);
        if let Some(files) = &self.files {
            wasi.preopened_dir(files.path(), "/", FsPerms::ReadOnly)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("failed to mount files of component `{}`", self.policy.id))?;
        }
        let state = InstanceState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: wasmtime::component::ResourceTable::new(),
            hooks: OutboundHttp { policy: self.policy.clone() },
            policy: self.policy.clone(),
            redis_connections: 0,
        };
        Ok(Store::new(self.pre.engine(), state))
    }
}

/// Loads the manifest, resolves variables, compiles and pre-instantiates every component.
pub fn load(manifest_path: &Path, options: &LoadOptions) -> anyhow::Result<AppRuntime> {
    let app = manifest::load(manifest_path)?;
    let app_dir = manifest_path
        .parent()
        .map(|dir| if dir.as_os_str().is_empty() { Path::new(".") } else { dir })
        .unwrap_or(Path::new("."))
        .canonicalize()
        .context("failed to resolve the manifest folder")?;

    // Variables: environment and defaults, checked before any compilation.
    let variables = AppVariables::resolve(&app.manifest.variables, |name| std::env::var(name).ok())?;

    // Engine and linker shared by all components.
    let mut config = Config::new();
    config.wasm_component_model(true);
    let engine =
        Engine::new(&config).map_err(anyhow::Error::from).context("failed to create the wasmtime engine")?;
    let mut linker: Linker<InstanceState> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    crate::bindings::Devhost::add_to_linker::<InstanceState, HasSelf<InstanceState>>(&mut linker, |state| {
        state
    })?;

    // Components: only those a trigger uses are compiled.
    let mut components = BTreeMap::new();
    for id in app.trigger_components.iter().flatten() {
        if components.contains_key(id) {
            continue;
        }
        let component = &app.components[id];
        let loaded = load_component(&engine, &linker, &app_dir, options, &variables, id, component)?;
        components.insert(id.clone(), loaded);
    }

    // Routes: private endpoints have none.
    let mut routes = Vec::new();
    let mut static_responses = BTreeMap::new();
    for (index, trigger) in app.http_triggers.iter().enumerate() {
        let RouteConfig::Route(route) = &trigger.route else {
            tracing::warn!(component = ?app.trigger_components[index], "private endpoint skipped: devhost has no service chaining");
            continue;
        };
        let target = match (&app.trigger_components[index], &trigger.static_response) {
            (Some(id), _) => Target::Component(id.clone()),
            (None, Some(response)) => {
                static_responses.insert(index, response.clone());
                Target::StaticResponse(index)
            }
            (None, None) => bail!("trigger {} has neither component nor static response", index + 1),
        };
        routes.push((route.clone(), target));
    }
    let router = Router::build(routes)?;
    for (route, replaced, effective) in router.duplicates() {
        tracing::warn!(route, ?replaced, ?effective, "duplicate route: the later trigger wins");
    }

    Ok(AppRuntime {
        name: app.manifest.application.name.clone(),
        version: app.manifest.application.version.clone(),
        router,
        components,
        static_responses,
    })
}

/// Resolves, compiles and pre-instantiates one component.
fn load_component(
    engine: &Engine,
    linker: &Linker<InstanceState>,
    app_dir: &Path,
    options: &LoadOptions,
    variables: &AppVariables,
    id: &str,
    component: &manifest::Component,
) -> anyhow::Result<LoadedComponent> {
    // Source: relative to the manifest, or by file name in `--wasm-dir`.
    let ComponentSource::Path(source) = &component.source else {
        bail!("component `{id}` has a remote source");
    };
    let wasm_path = match &options.wasm_dir {
        Some(dir) => {
            let file_name = Path::new(source)
                .file_name()
                .with_context(|| format!("component `{id}` source {source:?} has no file name"))?;
            dir.join(file_name)
        }
        None => app_dir.join(source),
    };
    if !wasm_path.is_file() {
        bail!(
            "component `{id}`: Wasm file {} not found; build the component first (for example `spin build` or `cargo build --target wasm32-wasip2 --release`)",
            wasm_path.display()
        );
    }

    // Permissions and variables.
    let hosts = component
        .allowed_outbound_hosts
        .iter()
        .map(|entry| variables.expand(entry))
        .collect::<anyhow::Result<Vec<_>>>()
        .with_context(|| format!("component `{id}`: invalid `allowed_outbound_hosts`"))?;
    let allowed_hosts = AllowedHosts::parse(&hosts)
        .with_context(|| format!("component `{id}`: invalid `allowed_outbound_hosts`"))?;
    let component_variables = variables.resolve_component(id, &component.variables)?;
    for (kind, list) in [
        ("key_value_stores", &component.key_value_stores),
        ("sqlite_databases", &component.sqlite_databases),
        ("ai_models", &component.ai_models),
    ] {
        if !list.is_empty() {
            tracing::warn!(component = id, field = kind, "field ignored: devhost provides no such interface");
        }
    }

    // Compilation and pre-instantiation: import mismatches surface here, at start-up.
    let compiled = Component::from_file(engine, &wasm_path)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("component `{id}`: failed to compile {}", wasm_path.display()))?;
    let instance_pre = linker
        .instantiate_pre(&compiled)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("component `{id}`: imports an interface devhost does not provide"))?;
    let pre = ProxyPre::new(instance_pre)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("component `{id}`: does not export wasi:http/incoming-handler@0.2"))?;

    // Files.
    let files = if component.files.is_empty() {
        None
    } else {
        Some(crate::files::stage(id, app_dir, &component.files, &component.exclude_files)?)
    };

    tracing::info!(
        component = id,
        wasm = %wasm_path.display(),
        allowed_outbound_hosts = %allowed_hosts,
        files = files.as_ref().map_or(0, |staged| staged.file_count),
        "component loaded"
    );
    Ok(LoadedComponent {
        policy: Arc::new(ComponentPolicy {
            id: id.to_owned(),
            variables: component_variables,
            allowed_hosts,
            redis_pool: Default::default(),
        }),
        pre,
        environment: component.environment.clone().into_iter().collect(),
        files,
    })
}
