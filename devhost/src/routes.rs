//! HTTP route matching with Spin's rules.
//!
//! Matching uses `routefinder` 0.5, the crate Spin's HTTP trigger uses, so precedence is
//! Spin's: exact segments beat `:name` segments, which beat a trailing `/...` wildcard, and
//! among wildcards the longest prefix wins. Trailing slashes are ignored for matching, and the
//! wildcard part keeps them (`/test/...` on `/test/` gives path info `/`), as in Spin.

use std::collections::BTreeMap;

use anyhow::anyhow;

/// Prefix of the routes that Spin reserves for the runtime. Requests under it never reach a
/// component.
pub const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";

/// Handler of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Run the component with this id.
    Component(String),
    /// Serve the static response of the trigger at this index.
    StaticResponse(usize),
}

/// A route as written in the manifest, with its target.
#[derive(Debug, Clone)]
struct RouteEntry {
    /// The route as written, for example `/api/orders/...`.
    raw_route: String,
    /// The target of the route.
    target: Target,
}

/// The routing table of the application.
#[derive(Debug)]
pub struct Router {
    /// Matcher from path to route entry.
    matcher: routefinder::Router<RouteEntry>,
    /// Routes that replaced an earlier identical route: (route, replaced, effective).
    duplicates: Vec<(String, Target, Target)>,
}

/// The result of matching a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// Handler of the request.
    pub target: Target,
    /// The route as written in the manifest (`spin-raw-component-route`, `spin-matched-route`).
    pub raw_route: String,
    /// The route without a trailing `/...` (`spin-component-route`).
    pub component_route: String,
    /// The part of the path matched by a trailing wildcard (`spin-path-info`), or empty.
    pub path_info: String,
    /// Values of `:name` segments by name (`spin-path-match-<name>`).
    pub named_wildcards: BTreeMap<String, String>,
}

impl Router {
    /// Builds the router from `(route, target)` pairs in manifest order; a later identical
    /// route replaces an earlier one, as in Spin, and is reported by [`Router::duplicates`].
    pub fn build(routes: impl IntoIterator<Item = (String, Target)>) -> anyhow::Result<Self> {
        let mut entries: Vec<RouteEntry> = Vec::new();
        let mut duplicates = Vec::new();
        for (raw_route, target) in routes {
            if let Some(existing) = entries.iter_mut().find(|entry| entry.raw_route == raw_route) {
                duplicates.push((raw_route.clone(), existing.target.clone(), target.clone()));
                existing.target = target;
            } else {
                entries.push(RouteEntry { raw_route, target });
            }
        }

        let mut matcher = routefinder::Router::new();
        for entry in entries {
            let spec = route_spec(&entry.raw_route);
            matcher
                .add(spec.as_str(), entry.clone())
                .map_err(|error| anyhow!("invalid route {:?}: {error}", entry.raw_route))?;
        }
        Ok(Self { matcher, duplicates })
    }

    /// Returns the routes that replaced an earlier identical route.
    pub fn duplicates(&self) -> &[(String, Target, Target)] {
        &self.duplicates
    }

    /// Lists the routes with their targets, most specific first.
    pub fn routes(&self) -> impl Iterator<Item = (&str, &Target)> {
        self.matcher.iter().map(|(_, entry)| (entry.raw_route.as_str(), &entry.target))
    }

    /// Finds the best route for a request path (without query string).
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let found = self.matcher.best_match(path)?;
        let entry = found.handler();
        let captures = found.captures();

        // Path info: Spin keeps the trailing slash that routefinder drops.
        let path_info = match captures.wildcard() {
            None => String::new(),
            Some(wildcard) => match (wildcard.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".to_owned(),
                (false, false) => format!("/{wildcard}"),
                (false, true) => format!("/{wildcard}/"),
            },
        };
        let named_wildcards =
            captures.iter().map(|(name, value)| (name.to_owned(), value.to_owned())).collect();
        let component_route = entry.raw_route.strip_suffix("/...").unwrap_or(&entry.raw_route).to_owned();

        Some(RouteMatch {
            target: entry.target.clone(),
            raw_route: entry.raw_route.clone(),
            component_route,
            path_info,
            named_wildcards,
        })
    }
}

/// Converts a Spin route to a routefinder pattern: `/a/...` becomes `/a/*`, and a missing
/// leading slash is added, as Spin does.
fn route_spec(raw_route: &str) -> String {
    let route = if raw_route.starts_with('/') { raw_route.to_owned() } else { format!("/{raw_route}") };
    match route.strip_suffix("/...") {
        Some(prefix) => format!("{prefix}/*"),
        None => route,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        Router::build(routes.iter().map(|(route, id)| (route.to_string(), Target::Component(id.to_string()))))
            .unwrap()
    }

    fn component(router: &Router, path: &str) -> Option<String> {
        router.route(path).map(|found| match found.target {
            Target::Component(id) => id,
            Target::StaticResponse(index) => format!("static-{index}"),
        })
    }

    #[test]
    fn exact_route_matches_only_itself() {
        let r = router(&[("/foo", "foo"), ("/foo/bar", "foobar")]);
        assert_eq!(component(&r, "/foo").as_deref(), Some("foo"));
        assert_eq!(component(&r, "/foo/bar").as_deref(), Some("foobar"));
        assert_eq!(component(&r, "/foo/baz"), None);
        assert_eq!(component(&r, "/"), None);
    }

    #[test]
    fn root_wildcard_matches_everything() {
        let r = router(&[("/...", "all")]);
        for path in ["/", "/foo/bar", "/abc/"] {
            assert_eq!(component(&r, path).as_deref(), Some("all"), "{path}");
        }
        assert_eq!(r.route("/1/2/3").unwrap().path_info, "/1/2/3");
    }

    #[test]
    fn longest_wildcard_prefix_wins() {
        let r = router(&[("/one/...", "one"), ("/one/two/three/...", "three"), ("/one/two/...", "two")]);
        assert_eq!(component(&r, "/one/two/three/four").as_deref(), Some("three"));
        assert_eq!(component(&r, "/one/two/x").as_deref(), Some("two"));
        assert_eq!(component(&r, "/one").as_deref(), Some("one"));
    }

    #[test]
    fn exact_beats_wildcard() {
        let r = router(&[("/...", "shop"), ("/users/...", "users"), ("/users/admin", "admin")]);
        assert_eq!(component(&r, "/users/admin").as_deref(), Some("admin"));
        assert_eq!(component(&r, "/users/1").as_deref(), Some("users"));
        assert_eq!(component(&r, "/users").as_deref(), Some("users"));
        assert_eq!(component(&r, "/cart").as_deref(), Some("shop"));
    }

    #[test]
    fn trailing_slash_behaves_as_spin() {
        let r = router(&[("/test/...", "test"), ("/exact", "exact")]);
        assert_eq!(r.route("/test").unwrap().path_info, "");
        assert_eq!(r.route("/test/").unwrap().path_info, "/");
        assert_eq!(r.route("/test/hello").unwrap().path_info, "/hello");
        assert_eq!(r.route("/test/hello/").unwrap().path_info, "/hello/");
        assert_eq!(component(&r, "/exact/").as_deref(), Some("exact"));
    }

    #[test]
    fn wildcard_prefix_needs_segment_boundary() {
        let r = router(&[("/api/orders/...", "orders")]);
        assert_eq!(component(&r, "/api/ordersx"), None);
        assert_eq!(component(&r, "/api/orders/abc/animation.mp4").as_deref(), Some("orders"));
    }

    #[test]
    fn named_segments_are_captured() {
        let r = router(&[("/users/:userid/edit", "edit"), ("/orders/:token/...", "orders")]);
        let found = r.route("/users/42/edit").unwrap();
        assert_eq!(found.named_wildcards["userid"], "42");
        assert_eq!(component(&r, "/users/42"), None);
        assert_eq!(component(&r, "/users/42/edit/more"), None);

        let found = r.route("/orders/abc/data").unwrap();
        assert_eq!(found.named_wildcards["token"], "abc");
        assert_eq!(found.path_info, "/data");
        assert_eq!(found.component_route, "/orders/:token");
        assert_eq!(found.raw_route, "/orders/:token/...");
    }

    #[test]
    fn duplicate_route_last_one_wins() {
        let r = router(&[("/foo", "first"), ("/foo", "second")]);
        assert_eq!(component(&r, "/foo").as_deref(), Some("second"));
        assert_eq!(r.duplicates().len(), 1);
    }

    #[test]
    fn route_without_leading_slash_is_absolutized() {
        let r = router(&[("foo", "foo")]);
        assert_eq!(component(&r, "/foo").as_deref(), Some("foo"));
    }
}
