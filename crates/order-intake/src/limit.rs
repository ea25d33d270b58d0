//! The per-client-IP budget that the order endpoints share: portrait and text orders count against
//! one `orders` budget per hour, before the body is decoded, so a client over it costs no decoding.

use rate_limit::{Decision, InvalidBudget, KeySecret, RateLimit};
use spin_sdk::redis::{RedisParameter, RedisResult};
use store::Keyring;

use crate::storage::RedisCommands;

/// The Spin variable that sets [`OrderBudget`]'s requests per hour.
pub const VARIABLE: &str = "orders_requests_per_hour";

/// Orders per hour and client IP when [`VARIABLE`] is unset.
pub const DEFAULT_REQUESTS_PER_HOUR: u32 = 20;

/// Length of the budget's window in seconds: one hour.
pub const WINDOW_SECS: u32 = 3600;

/// Budget name in the counter keys, shared by every order endpoint.
pub const SCOPE: &str = "orders";

/// A failure to count a request, or a request over the budget.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// This client address has used up the budget of the current window.
    #[error(
        "too many orders from your address: the limit is {max_requests} orders per hour, portrait and \
         text orders together; try again in {retry_after_secs} seconds"
    )]
    Limited {
        /// The budget, for the message.
        max_requests: u32,
        /// Seconds until the window ends at the latest, sent as `Retry-After`.
        retry_after_secs: u32,
    },

    /// Redis could not be reached, failed a command or sent an unexpected reply.
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
}

/// The order budget and the secret its counter keys are hashed under.
#[derive(Debug, Clone)]
pub struct OrderBudget {
    /// Requests per window and client IP.
    pub limit: RateLimit,
    /// Derived from the storage key, so counter keys reveal no address.
    pub secret: KeySecret,
}

impl OrderBudget {
    /// Builds the budget from the [`VARIABLE`] value (unset or empty gives the default) and the
    /// storage keyring.
    pub fn from_values(keyring: &Keyring, requests_per_hour: Option<&str>) -> Result<Self, InvalidBudget> {
        let max_requests =
            rate_limit::parse_max_requests(VARIABLE, requests_per_hour, DEFAULT_REQUESTS_PER_HOUR)?;
        Ok(Self {
            limit: RateLimit { scope: SCOPE, max_requests, window_secs: WINDOW_SECS },
            secret: KeySecret::new(keyring.derive_key(rate_limit::SECRET_PURPOSE)),
        })
    }
}

/// Counts one order request from `client_addr` (the `spin-client-addr` header): `INCR` on the
/// counter key, then `EXPIRE … NX` so the key lives one window from its first request.
pub fn count_request(
    redis: &impl RedisCommands,
    budget: &OrderBudget,
    client_addr: &str,
) -> Result<(), LimitError> {
    let limit = &budget.limit;
    let decision = limit
        .count_request(&budget.secret, client_addr, |command, arguments| {
            let arguments: Vec<RedisParameter> = arguments
                .iter()
                .map(|argument| RedisParameter::Binary(argument.as_bytes().to_vec()))
                .collect();
            let reply = redis.execute(command, &arguments)?;
            Ok::<_, String>(match reply.as_slice() {
                [RedisResult::Int64(count)] => Some(*count),
                _ => None,
            })
        })
        .map_err(|error| LimitError::Unavailable(error.to_string()))?;
    match decision {
        Decision::Allowed { .. } => Ok(()),
        Decision::Limited { retry_after_secs } => {
            Err(LimitError::Limited { max_requests: limit.max_requests, retry_after_secs })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const CLIENT: &str = "203.0.113.7:5100";

    /// Counts `INCR`s per key and records every command; `down` fails them all.
    #[derive(Default)]
    struct CountingRedis {
        counts: RefCell<HashMap<Vec<u8>, i64>>,
        commands: RefCell<Vec<(String, Vec<String>)>>,
        down: bool,
    }

    impl RedisCommands for CountingRedis {
        fn execute(&self, command: &str, arguments: &[RedisParameter]) -> Result<Vec<RedisResult>, String> {
            if self.down {
                return Err("connection refused".to_owned());
            }
            let texts = arguments
                .iter()
                .map(|argument| match argument {
                    RedisParameter::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                    RedisParameter::Int64(number) => number.to_string(),
                })
                .collect();
            self.commands.borrow_mut().push((command.to_owned(), texts));
            match (command, arguments) {
                ("INCR", [RedisParameter::Binary(key)]) => {
                    let mut counts = self.counts.borrow_mut();
                    let count = counts.entry(key.clone()).or_default();
                    *count += 1;
                    Ok(vec![RedisResult::Int64(*count)])
                }
                _ => Ok(vec![RedisResult::Int64(1)]),
            }
        }
    }

    fn budget(requests_per_hour: &str) -> OrderBudget {
        OrderBudget::from_values(&Keyring::parse(KEY).unwrap(), Some(requests_per_hour)).unwrap()
    }

    #[test]
    fn budget_defaults_and_rejects_bad_values() {
        let keyring = Keyring::parse(KEY).unwrap();
        let budget = OrderBudget::from_values(&keyring, None).unwrap();
        assert_eq!(budget.limit, RateLimit { scope: "orders", max_requests: 20, window_secs: 3600 });
        let error = OrderBudget::from_values(&keyring, Some("0")).unwrap_err();
        assert!(error.to_string().contains("orders_requests_per_hour"), "{error}");
    }

    #[test]
    fn request_over_budget_is_limited() {
        let redis = CountingRedis::default();
        let budget = budget("2");
        assert_eq!(count_request(&redis, &budget, CLIENT), Ok(()));
        assert_eq!(count_request(&redis, &budget, "203.0.113.7:6000"), Ok(()), "same IP, other port");
        let error = count_request(&redis, &budget, CLIENT).unwrap_err();
        assert_eq!(error, LimitError::Limited { max_requests: 2, retry_after_secs: 3600 });
        assert_eq!(
            error.to_string(),
            "too many orders from your address: the limit is 2 orders per hour, portrait and text orders \
             together; try again in 3600 seconds"
        );
        assert_eq!(count_request(&redis, &budget, "198.51.100.1:5100"), Ok(()), "another IP");
    }

    #[test]
    fn commands_are_incr_then_expire_nx() {
        let redis = CountingRedis::default();
        count_request(&redis, &budget("5"), CLIENT).unwrap();
        let commands = redis.commands.borrow();
        let key = &commands[0].1[0];
        assert!(key.starts_with("ratelimit:orders:"), "{key}");
        assert!(!key.contains("203.0.113.7"), "{key}");
        assert_eq!(commands[0], ("INCR".to_owned(), vec![key.clone()]));
        assert_eq!(commands[1], ("EXPIRE".to_owned(), vec![key.clone(), "3600".to_owned(), "NX".to_owned()]));
        assert_eq!(commands.len(), 2);
    }

    #[test]
    fn redis_down_is_unavailable() {
        let redis = CountingRedis { down: true, ..Default::default() };
        let error = count_request(&redis, &budget("5"), CLIENT).unwrap_err();
        assert!(matches!(&error, LimitError::Unavailable(cause) if cause.contains("refused")), "{error:?}");
    }
}
