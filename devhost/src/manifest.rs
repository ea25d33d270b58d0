//! The Spin application manifest (`spin.toml`, manifest version 2), parsed and checked.
//!
//! The shapes follow the Spin manifest reference for version 2
//! (<https://spinframework.dev/v3/manifest-reference>). Every table rejects keys it does not
//! know, so a typo fails at start-up with the key's name and line instead of being ignored.
//! Fields that devhost accepts but does not act on are listed in [`Component`].

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail, ensure};
use serde::Deserialize;

/// The top level of `spin.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Must be `2`: devhost reads only the version 2 format.
    pub spin_manifest_version: toml::Value,
    /// Name, version and other metadata of the application.
    pub application: Application,
    /// Application variables, keyed by name.
    #[serde(default)]
    pub variables: BTreeMap<String, VariableDecl>,
    /// Triggers, keyed by trigger type (`http`, `redis`, ...).
    #[serde(default)]
    pub trigger: BTreeMap<String, toml::Value>,
    /// Components, keyed by component id.
    #[serde(default)]
    pub component: BTreeMap<String, Component>,
}

/// The `[application]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Application name.
    pub name: String,
    /// Application version, `major.minor.patch`.
    pub version: Option<String>,
    /// Human-readable description.
    pub description: Option<String>,
    /// Authors of the application.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Application-wide trigger settings (for example the Redis trigger address); devhost
    /// serves only HTTP, so these are read and ignored.
    pub trigger: Option<toml::Table>,
}

/// One entry of the `[variables]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDecl {
    /// Human-readable description.
    pub description: Option<String>,
    /// Value used when no value is supplied at run time.
    pub default: Option<String>,
    /// Whether a value must be supplied at run time.
    #[serde(default)]
    pub required: bool,
    /// Whether the value is sensitive; devhost never logs any variable value.
    #[serde(default)]
    pub secret: bool,
}

/// One `[[trigger.http]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTrigger {
    /// Optional trigger id.
    pub id: Option<String>,
    /// The route pattern, or `{ private = true }` for a component reachable only by service
    /// chaining.
    pub route: RouteConfig,
    /// The component that handles the route: an id from `[component]` or an inline table.
    pub component: Option<ComponentRef>,
    /// A fixed response served without running a component.
    pub static_response: Option<StaticResponse>,
    /// Executor table; devhost supports only `{ type = "spin" }`.
    pub executor: Option<toml::Table>,
}

/// The `route` field of an HTTP trigger.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, expecting = "a route string such as \"/api/...\" or a table `{ private = true }`")]
pub enum RouteConfig {
    /// A route pattern: exact (`/a/b`), with `:name` segments, or ending in `/...`.
    Route(String),
    /// A private endpoint, which has no HTTP route.
    Private(PrivateEndpoint),
}

/// The `{ private = true }` route table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateEndpoint {
    /// Must be `true`.
    pub private: bool,
}

/// The `component` field of a trigger.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, expecting = "a component id string or an inline component table")]
pub enum ComponentRef {
    /// The id of a `[component.<id>]` table.
    Id(String),
    /// A component written inline in the trigger.
    Inline(Box<Component>),
}

/// A trigger's `static_response` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticResponse {
    /// HTTP status code; 200 when absent.
    pub status_code: Option<u16>,
    /// Response headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Text body.
    pub body: Option<String>,
}

/// One `[component.<id>]` table.
///
/// Accepted but not acted on: `description`, `build` (used by `spin build` only),
/// `key_value_stores`, `sqlite_databases` and `ai_models` (devhost provides none of those
/// interfaces, so a component importing them fails at start-up with the missing import).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Human-readable description.
    pub description: Option<String>,
    /// The Wasm file: a path relative to the manifest, or a `{ url, digest }` table.
    pub source: ComponentSource,
    /// Files made available to the component, read-only.
    #[serde(default)]
    pub files: Vec<FileMount>,
    /// Glob patterns removed from the matches of `files`.
    #[serde(default)]
    pub exclude_files: Vec<String>,
    /// Outbound network destinations, `scheme://host[:port]` with `*` wildcards.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// Version 1 spelling of outbound HTTP permissions; rejected with a hint.
    pub allowed_http_hosts: Option<Vec<String>>,
    /// Key-value stores the component may use; devhost provides no key-value store.
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// SQLite databases the component may use; devhost provides no SQLite.
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    /// AI models the component may use; devhost provides no LLM interface.
    #[serde(default)]
    pub ai_models: Vec<String>,
    /// Environment variables set in the component.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Component variables: values or templates over application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// The `spin build` settings; ignored by devhost.
    pub build: Option<toml::Table>,
    /// Whether dependencies get the component's permissions; devhost supports no dependencies.
    pub dependencies_inherit_configuration: Option<bool>,
    /// Component dependencies; devhost does not compose components, so this must be empty.
    pub dependencies: Option<toml::Table>,
    /// Tool-specific settings (for example `[component.x.tool.spin-test]`); ignored.
    pub tool: Option<toml::Table>,
}

/// The `source` field of a component.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, expecting = "a path string or a table `{ url = \"...\", digest = \"sha256:...\" }`")]
pub enum ComponentSource {
    /// A Wasm file path relative to the manifest.
    Path(String),
    /// A remote Wasm file, which devhost does not download.
    Remote(toml::Table),
}

/// One entry of a component's `files` list.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "a path or glob string, or a table `{ source = \"...\", destination = \"/...\" }`"
)]
pub enum FileMount {
    /// A file path or glob pattern relative to the manifest, mounted at the same relative path.
    Pattern(String),
    /// A file or directory mounted at an absolute guest path.
    Placement(FilePlacement),
}

/// The `{ source, destination }` form of a `files` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePlacement {
    /// File or directory relative to the manifest.
    pub source: String,
    /// Absolute path in the guest.
    pub destination: String,
}

/// The HTTP parts of a manifest after checking: triggers with their components resolved.
#[derive(Debug)]
pub struct App {
    /// The parsed manifest.
    pub manifest: Manifest,
    /// HTTP triggers in manifest order.
    pub http_triggers: Vec<HttpTrigger>,
    /// Components by id, including inline components under generated ids.
    pub components: BTreeMap<String, Component>,
    /// For each entry of `http_triggers`: the id of its component, if it has one.
    pub trigger_components: Vec<Option<String>>,
}

/// Parses the manifest text and checks it the way Spin does before running anything.
pub fn parse(text: &str) -> anyhow::Result<App> {
    let manifest: Manifest = toml::from_str(text).context("invalid spin.toml")?;

    // Version: only the version 2 format is read.
    match &manifest.spin_manifest_version {
        toml::Value::Integer(2) => {}
        other => bail!(
            "invalid spin.toml: `spin_manifest_version` is {other}; devhost reads only manifest version 2"
        ),
    }

    // Triggers: devhost serves HTTP only.
    let mut http_triggers = Vec::new();
    for (trigger_type, value) in &manifest.trigger {
        ensure!(
            trigger_type == "http",
            "invalid spin.toml: trigger type `{trigger_type}` is not supported by devhost (only `[[trigger.http]]`)"
        );
        let entries: Vec<HttpTrigger> = value
            .clone()
            .try_into()
            .context("invalid spin.toml: `trigger.http` must be an array of tables (`[[trigger.http]]`)")?;
        http_triggers = entries;
    }
    ensure!(!http_triggers.is_empty(), "invalid spin.toml: no `[[trigger.http]]` entry");

    // Components: named ones first, then inline ones under generated ids.
    let mut components = manifest.component.clone();
    for id in components.keys() {
        check_component_id(id)?;
    }
    let mut trigger_components = Vec::new();
    for (index, trigger) in http_triggers.iter().enumerate() {
        let label = trigger_label(trigger, index);
        let component_id = match (&trigger.component, &trigger.static_response) {
            (Some(_), Some(_)) => {
                bail!("invalid spin.toml: {label} sets both `component` and `static_response`; keep one")
            }
            (None, None) => {
                bail!("invalid spin.toml: {label} needs a `component` or a `static_response`")
            }
            (None, Some(_)) => None,
            (Some(ComponentRef::Id(id)), None) => {
                ensure!(
                    components.contains_key(id),
                    "invalid spin.toml: {label} names component `{id}`, but there is no `[component.{id}]`"
                );
                Some(id.clone())
            }
            (Some(ComponentRef::Inline(component)), None) => {
                let id = format!("inline-component{index}");
                components.insert(id.clone(), (**component).clone());
                Some(id)
            }
        };
        if let Some(executor) = &trigger.executor {
            let kind = executor.get("type").and_then(toml::Value::as_str);
            ensure!(
                kind == Some("spin"),
                "invalid spin.toml: {label} has `executor` {executor}; devhost supports only `{{ type = \"spin\" }}`"
            );
        }
        if let RouteConfig::Private(endpoint) = &trigger.route {
            ensure!(
                endpoint.private,
                "invalid spin.toml: {label} has `route = {{ private = false }}`; use a route string or `{{ private = true }}`"
            );
        }
        trigger_components.push(component_id);
    }

    // Component fields that devhost cannot honour are errors, not silent gaps.
    for (id, component) in &components {
        check_component(id, component)?;
    }

    Ok(App { manifest, http_triggers, components, trigger_components })
}

/// Reads and parses the manifest file.
pub fn load(path: &Path) -> anyhow::Result<App> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read manifest {}", path.display()))?;
    parse(&text).with_context(|| format!("failed to load manifest {}", path.display()))
}

/// Names a trigger in messages by its id or its position.
fn trigger_label(trigger: &HttpTrigger, index: usize) -> String {
    match &trigger.id {
        Some(id) => format!("trigger `{id}`"),
        None => format!("`[[trigger.http]]` entry {}", index + 1),
    }
}

/// Checks a component id: Spin requires kebab case (lowercase words joined by hyphens).
fn check_component_id(id: &str) -> anyhow::Result<()> {
    let valid_words = id
        .split('-')
        .all(|word| !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    let starts_with_letter = id.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    ensure!(
        valid_words && starts_with_letter,
        "invalid spin.toml: component id `{id}` must be kebab case (lowercase letters and digits, words joined by `-`)"
    );
    Ok(())
}

/// Rejects component settings that devhost would otherwise ignore in a misleading way.
fn check_component(id: &str, component: &Component) -> anyhow::Result<()> {
    if let ComponentSource::Remote(_) = component.source {
        bail!(
            "invalid spin.toml: component `{id}` has a remote `source`; devhost runs only local Wasm files"
        );
    }
    if component.allowed_http_hosts.is_some() {
        bail!(
            "invalid spin.toml: component `{id}` uses `allowed_http_hosts` (manifest version 1); list the hosts in `allowed_outbound_hosts` as `https://host`"
        );
    }
    if component.dependencies.as_ref().is_some_and(|table| !table.is_empty()) {
        bail!("invalid spin.toml: component `{id}` has `dependencies`; devhost does not compose components");
    }
    for mount in &component.files {
        if let FileMount::Placement(placement) = mount {
            ensure!(
                placement.destination.starts_with('/'),
                "invalid spin.toml: component `{id}` mounts `{}` at `{}`; `destination` must be an absolute path",
                placement.source,
                placement.destination
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
spin_manifest_version = 2

[application]
name = "banner-hub"
version = "0.1.0"
authors = ["Example <dev@example.com>"]

[variables]
redis_url = { default = "redis://127.0.0.1:6379" }
storage_key = { required = true, secret = true }

[[trigger.http]]
route = "/api/portraits"
component = "portrait"

[[trigger.http]]
route = "/api/orders/..."
component = "orders"

[component.portrait]
source = "target/wasm32-wasip2/release/portrait.wasm"
allowed_outbound_hosts = ["redis://127.0.0.1:6379"]
files = ["static/*.css", { source = "assets", destination = "/assets" }]
key_value_stores = ["default"]
[component.portrait.variables]
redis_url = "{{ redis_url }}"
[component.portrait.build]
command = "cargo build --target wasm32-wasip2 --release"
watch = ["src/**/*.rs"]

[component.orders]
source = "orders.wasm"
"#;

    #[test]
    fn good_manifest_parses() {
        let app = parse(GOOD).unwrap();
        assert_eq!(app.manifest.application.name, "banner-hub");
        assert_eq!(app.http_triggers.len(), 2);
        assert_eq!(app.trigger_components[0].as_deref(), Some("portrait"));
        assert_eq!(app.trigger_components[1].as_deref(), Some("orders"));
        let portrait = &app.components["portrait"];
        assert_eq!(portrait.files.len(), 2);
        assert!(matches!(&portrait.files[1], FileMount::Placement(p) if p.destination == "/assets"));
        assert_eq!(portrait.variables["redis_url"], "{{ redis_url }}");
        assert!(app.manifest.variables["storage_key"].secret);
    }

    #[test]
    fn missing_component_is_rejected() {
        let text = GOOD.replace("component = \"orders\"", "component = \"order\"");
        let error = format!("{:#}", parse(&text).unwrap_err());
        assert!(error.contains("names component `order`"), "{error}");
    }

    #[test]
    fn unknown_field_is_named() {
        let text = GOOD.replace("source = \"orders.wasm\"", "source = \"orders.wasm\"\nallowed_hosts = []");
        let error = format!("{:#}", parse(&text).unwrap_err());
        assert!(error.contains("allowed_hosts"), "{error}");
    }

    #[test]
    fn wrong_version_is_rejected() {
        let text = GOOD.replace("spin_manifest_version = 2", "spin_manifest_version = \"1\"");
        let error = format!("{:#}", parse(&text).unwrap_err());
        assert!(error.contains("spin_manifest_version"), "{error}");
    }

    #[test]
    fn bad_files_entry_is_rejected() {
        let text = GOOD.replace("files = [\"static/*.css\",", "files = [42,");
        let error = format!("{:#}", parse(&text).unwrap_err());
        assert!(error.contains("files"), "{error}");
    }

    #[test]
    fn relative_destination_is_rejected() {
        let text = GOOD.replace("destination = \"/assets\"", "destination = \"assets\"");
        let error = format!("{:#}", parse(&text).unwrap_err());
        assert!(error.contains("absolute path"), "{error}");
    }

    #[test]
    fn non_http_trigger_is_rejected() {
        let text = format!("{GOOD}\n[[trigger.redis]]\nchannel = \"jobs\"\ncomponent = \"orders\"\n");
        let error = format!("{:#}", parse(&text).unwrap_err());
        assert!(error.contains("trigger type `redis`"), "{error}");
    }

    #[test]
    fn inline_component_gets_an_id() {
        let text = GOOD.replace("component = \"orders\"", "component = { source = \"inline.wasm\" }");
        let app = parse(&text).unwrap();
        let id = app.trigger_components[1].as_deref().unwrap();
        assert!(app.components.contains_key(id));
    }

    #[test]
    fn component_id_must_be_kebab_case() {
        let text = GOOD.replace("[component.orders]", "[component.Orders]");
        assert!(parse(&text).is_err());
    }

    #[test]
    fn legacy_allowed_http_hosts_is_rejected() {
        let text = GOOD.replace(
            "source = \"orders.wasm\"",
            "source = \"orders.wasm\"\nallowed_http_hosts = [\"example.com\"]",
        );
        let error = format!("{:#}", parse(&text).unwrap_err());
        assert!(error.contains("allowed_outbound_hosts"), "{error}");
    }

    #[test]
    fn trigger_without_component_is_rejected() {
        let text = GOOD.replace("component = \"orders\"\n", "");
        let error = format!("{:#}", parse(&text).unwrap_err());
        assert!(error.contains("needs a `component`"), "{error}");
    }
}
