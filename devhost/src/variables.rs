//! Spin application variables and component variable templates.
//!
//! Values are resolved once at start-up, in Spin's order: the environment variable
//! `SPIN_VARIABLE_<NAME>` (name upper-cased), then the manifest `default`. A required variable
//! with neither is a start-up error. Component variables are strings in which `{{ name }}`
//! is replaced by an application variable. Spin resolves them when a component calls
//! `variables.get`. Resolving them at start-up gives the same values, because devhost reads
//! the environment only once.

use std::collections::BTreeMap;

use anyhow::{Context, bail, ensure};

use crate::manifest::VariableDecl;

/// Prefix of the environment variables that set application variables, as in `spin up`.
pub const ENV_PREFIX: &str = "SPIN_VARIABLE_";

/// Application variable values by name.
#[derive(Debug, Default, Clone)]
pub struct AppVariables {
    values: BTreeMap<String, String>,
}

impl AppVariables {
    /// Resolves every declared variable; `env` returns the value of an environment variable.
    pub fn resolve(
        declarations: &BTreeMap<String, VariableDecl>,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let mut values = BTreeMap::new();
        for (name, declaration) in declarations {
            // Declaration: a valid name, and exactly one of `default` and `required`.
            check_name(name).context("invalid spin.toml: invalid application variable")?;
            match (&declaration.default, declaration.required) {
                (Some(_), true) => bail!(
                    "invalid spin.toml: variable `{name}` sets both `default` and `required = true`; remove one"
                ),
                (None, false) => {
                    bail!("invalid spin.toml: variable `{name}` needs a `default` or `required = true`")
                }
                _ => {}
            }

            // Value: the environment wins over the default.
            let env_name = env_var_name(name);
            let value = match (env(&env_name), &declaration.default) {
                (Some(value), _) => value,
                (None, Some(default)) => default.clone(),
                (None, None) => {
                    bail!("required variable `{name}` has no value; set the environment variable {env_name}")
                }
            };
            values.insert(name.clone(), value);
        }
        Ok(Self { values })
    }

    /// Returns the value of an application variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Expands `{{ name }}` references to application variables in `template`.
    pub fn expand(&self, template: &str) -> anyhow::Result<String> {
        let mut output = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            output.push_str(&rest[..start]);
            let after_open = &rest[start + 2..];
            let Some(end) = after_open.find("}}") else {
                bail!("invalid template {template:?}: `{{{{` without a closing `}}}}`");
            };
            let name = after_open[..end].trim();
            check_name(name).with_context(|| format!("invalid template {template:?}"))?;
            let Some(value) = self.get(name) else {
                bail!("template {template:?} uses `{name}`, which is not declared in `[variables]`");
            };
            output.push_str(value);
            rest = &after_open[end + 2..];
        }
        ensure!(!rest.contains("}}"), "invalid template {template:?}: `}}}}` without an opening `{{{{`");
        output.push_str(rest);
        Ok(output)
    }

    /// Resolves a component's `variables` table to plain values.
    pub fn resolve_component(
        &self,
        component_id: &str,
        templates: &BTreeMap<String, String>,
    ) -> anyhow::Result<BTreeMap<String, String>> {
        let mut resolved = BTreeMap::new();
        for (name, template) in templates {
            check_name(name)
                .with_context(|| format!("invalid spin.toml: component `{component_id}` variable"))?;
            let value = self.expand(template).with_context(|| {
                format!("invalid spin.toml: component `{component_id}` variable `{name}`")
            })?;
            resolved.insert(name.clone(), value);
        }
        Ok(resolved)
    }
}

/// Returns the environment variable that sets application variable `name`.
pub fn env_var_name(name: &str) -> String {
    format!("{ENV_PREFIX}{}", name.to_ascii_uppercase())
}

/// Checks a variable name with Spin's rules: lowercase ASCII letters, digits and single
/// underscores, starting with a letter and ending with a letter or digit.
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let reason = if name.is_empty() {
        "must not be empty"
    } else if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        "may contain only lowercase letters, digits and underscores"
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        "must start with a lowercase letter"
    } else if name.ends_with('_') {
        "must end with a lowercase letter or digit"
    } else if name.contains("__") {
        "must not contain two underscores in a row"
    } else {
        return Ok(());
    };
    bail!("variable name {name:?} {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declarations(entries: &[(&str, Option<&str>, bool)]) -> BTreeMap<String, VariableDecl> {
        entries
            .iter()
            .map(|(name, default, required)| {
                let declaration = VariableDecl {
                    description: None,
                    default: default.map(str::to_owned),
                    required: *required,
                    secret: false,
                };
                (name.to_string(), declaration)
            })
            .collect()
    }

    #[test]
    fn default_is_used_without_env() {
        let vars = AppVariables::resolve(&declarations(&[("limit", Some("10"), false)]), |_| None).unwrap();
        assert_eq!(vars.get("limit"), Some("10"));
    }

    #[test]
    fn env_overrides_default() {
        let vars = AppVariables::resolve(&declarations(&[("redis_url", Some("redis://a"), false)]), |key| {
            (key == "SPIN_VARIABLE_REDIS_URL").then(|| "redis://b".to_owned())
        })
        .unwrap();
        assert_eq!(vars.get("redis_url"), Some("redis://b"));
    }

    #[test]
    fn required_missing_names_the_env_var() {
        let error = AppVariables::resolve(&declarations(&[("storage_key", None, true)]), |_| None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("storage_key"), "{error}");
        assert!(error.contains("SPIN_VARIABLE_STORAGE_KEY"), "{error}");
    }

    #[test]
    fn required_from_env_resolves() {
        let vars = AppVariables::resolve(&declarations(&[("storage_key", None, true)]), |key| {
            (key == "SPIN_VARIABLE_STORAGE_KEY").then(|| "k".to_owned())
        })
        .unwrap();
        assert_eq!(vars.get("storage_key"), Some("k"));
    }

    #[test]
    fn default_and_required_together_are_rejected() {
        assert!(AppVariables::resolve(&declarations(&[("a", Some("x"), true)]), |_| None).is_err());
        assert!(AppVariables::resolve(&declarations(&[("a", None, false)]), |_| None).is_err());
    }

    #[test]
    fn template_expands_references() {
        let vars = AppVariables::resolve(
            &declarations(&[("host", Some("127.0.0.1"), false), ("port", Some("6379"), false)]),
            |_| None,
        )
        .unwrap();
        assert_eq!(vars.expand("redis://{{ host }}:{{port}}/0").unwrap(), "redis://127.0.0.1:6379/0");
        assert_eq!(vars.expand("plain").unwrap(), "plain");
    }

    #[test]
    fn template_errors_are_reported() {
        let vars = AppVariables::resolve(&declarations(&[("host", Some("h"), false)]), |_| None).unwrap();
        assert!(vars.expand("{{ missing }}").unwrap_err().to_string().contains("missing"));
        assert!(vars.expand("{{ host").is_err());
        assert!(vars.expand("host }}").is_err());
        assert!(vars.expand("{{ Host }}").is_err());
    }

    #[test]
    fn component_variables_resolve() {
        let vars = AppVariables::resolve(&declarations(&[("host", Some("h"), false)]), |_| None).unwrap();
        let templates = BTreeMap::from([("url".to_owned(), "redis://{{ host }}".to_owned())]);
        let resolved = vars.resolve_component("orders", &templates).unwrap();
        assert_eq!(resolved["url"], "redis://h");

        let bad = BTreeMap::from([("Url".to_owned(), "x".to_owned())]);
        let error = format!("{:#}", vars.resolve_component("orders", &bad).unwrap_err());
        assert!(error.contains("orders"), "{error}");
    }

    #[test]
    fn names_follow_spin_rules() {
        for good in ["a", "abc", "a1b2c3", "a_1", "a_1_b_3"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "aX", "1bc", "_x", "x.y", "x_", "a__b", "x-y"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
