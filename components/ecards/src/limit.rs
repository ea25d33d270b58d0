//! The per-client-IP budget of `POST /api/ecards`, counted in Redis before the body is read, so a
//! client over it costs no parsing, storage or mail.

use rate_limit::{Decision, InvalidBudget, KeySecret, RateLimit};
use spin_sdk::redis::{RedisParameter, RedisResult};

use crate::handlers::error_reply;
use crate::reply::Reply;
use crate::storage::RedisCommands;

/// The Spin variable that sets the budget's requests per hour.
pub const VARIABLE: &str = "ecards_requests_per_hour";

/// E-cards per hour and client IP when [`VARIABLE`] is unset.
pub const DEFAULT_REQUESTS_PER_HOUR: u32 = 30;

/// Length of the budget's window in seconds: one hour.
pub const WINDOW_SECS: u32 = 3600;

/// Budget name in the counter keys.
pub const SCOPE: &str = "ecards";

/// Builds the budget from the [`VARIABLE`] value; unset or empty gives the default.
pub fn budget(requests_per_hour: Option<&str>) -> Result<RateLimit, InvalidBudget> {
    let max_requests =
        rate_limit::parse_max_requests(VARIABLE, requests_per_hour, DEFAULT_REQUESTS_PER_HOUR)?;
    Ok(RateLimit { scope: SCOPE, max_requests, window_secs: WINDOW_SECS })
}

/// Counts one create request from `client_addr` (the `spin-client-addr` header). `Err` is the reply
/// to send instead: `429` with `Retry-After` and the limit over the budget, `503` when Redis fails.
pub fn count_create(
    redis: &impl RedisCommands,
    limit: &RateLimit,
    secret: &KeySecret,
    client_addr: &str,
) -> Result<(), Reply> {
    let counted = limit.count_request(secret, client_addr, |command, arguments| {
        let arguments: Vec<RedisParameter> =
            arguments.iter().map(|argument| RedisParameter::Binary(argument.as_bytes().to_vec())).collect();
        let reply = redis.execute(command, &arguments)?;
        Ok::<_, String>(match reply.as_slice() {
            [RedisResult::Int64(count)] => Some(*count),
            _ => None,
        })
    });
    match counted {
        Ok(Decision::Allowed { .. }) => Ok(()),
        Ok(Decision::Limited { retry_after_secs }) => {
            Err(limited_reply(limit.max_requests, retry_after_secs))
        }
        Err(error) => {
            eprintln!("ecards: storage unavailable: could not count a request: {error}");
            Err(error_reply(503, "storage unavailable; try again later"))
        }
    }
}

/// Builds the `429` reply, which states the limit and carries `Retry-After`.
fn limited_reply(max_requests: u32, retry_after_secs: u32) -> Reply {
    let message = format!(
        "too many e-cards from your address: the limit is {max_requests} e-cards per hour; try again in \
         {retry_after_secs} seconds"
    );
    let mut reply = error_reply(429, &message);
    reply.set_header("retry-after", retry_after_secs.to_string());
    reply
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};

    use super::*;

    const SECRET: &KeySecret = &KeySecret::new([7; 32]);
    const CLIENT: &str = "203.0.113.7:5100";

    /// Returns an increasing `INCR` count and records the keys; `down` fails every command.
    #[derive(Default)]
    struct CountingRedis {
        count: Cell<i64>,
        keys: RefCell<Vec<String>>,
        down: bool,
    }

    impl RedisCommands for CountingRedis {
        fn execute(&self, command: &str, arguments: &[RedisParameter]) -> Result<Vec<RedisResult>, String> {
            if self.down {
                return Err("connection refused".to_owned());
            }
            if let Some(RedisParameter::Binary(key)) = arguments.first() {
                self.keys.borrow_mut().push(String::from_utf8_lossy(key).into_owned());
            }
            if command == "INCR" {
                self.count.set(self.count.get() + 1);
            }
            Ok(vec![RedisResult::Int64(self.count.get())])
        }
    }

    fn body(reply: &Reply) -> serde_json::Value {
        serde_json::from_slice(&reply.body).unwrap()
    }

    #[test]
    fn budget_defaults_and_rejects_bad_values() {
        assert_eq!(budget(None).unwrap(), RateLimit { scope: "ecards", max_requests: 30, window_secs: 3600 });
        assert_eq!(budget(Some("4")).unwrap().max_requests, 4);
        let error = budget(Some("lots")).unwrap_err();
        assert!(error.to_string().contains("ecards_requests_per_hour"), "{error}");
    }

    #[test]
    fn create_over_budget_gets_429() {
        let redis = CountingRedis::default();
        let limit = budget(Some("2")).unwrap();
        assert!(count_create(&redis, &limit, SECRET, CLIENT).is_ok());
        assert!(count_create(&redis, &limit, SECRET, CLIENT).is_ok());
        let reply = count_create(&redis, &limit, SECRET, CLIENT).unwrap_err();
        assert_eq!(reply.status, 429);
        assert_eq!(reply.header("retry-after"), Some("3600"));
        assert_eq!(
            body(&reply)["error"],
            "too many e-cards from your address: the limit is 2 e-cards per hour; try again in 3600 seconds"
        );
        for key in redis.keys.borrow().iter() {
            assert!(key.starts_with("ratelimit:ecards:"), "{key}");
            assert!(!key.contains("203.0.113.7"), "{key}");
        }
    }

    #[test]
    fn redis_down_gets_503() {
        let redis = CountingRedis { down: true, ..Default::default() };
        let reply = count_create(&redis, &budget(None).unwrap(), SECRET, CLIENT).unwrap_err();
        assert_eq!(reply.status, 503);
        assert!(reply.header("retry-after").is_none());
    }
}
