//! An in-memory stand-in for the few Redis commands the orders API runs, replying in the flattened
//! form Spin's `execute` uses. It checks the command sequence and key handling, not Redis itself:
//! expiry is stored but never enforced, and only the commands below exist.

use std::cell::RefCell;
use std::collections::BTreeMap;

use spin_sdk::redis::{RedisParameter, RedisResult};

use crate::storage::RedisCommands;

#[derive(Default)]
pub struct FakeRedis {
    /// String keys: value and `PXAT` expiry in milliseconds.
    strings: RefCell<BTreeMap<String, (Vec<u8>, u64)>>,
    lists: RefCell<BTreeMap<String, Vec<String>>>,
    /// Every key read with GET or MGET, in order.
    fetched: RefCell<Vec<String>>,
    failing: RefCell<bool>,
}

impl FakeRedis {
    pub fn set(&self, key: &str, value: Vec<u8>, expires_at_ms: u64) {
        self.strings.borrow_mut().insert(key.to_owned(), (value, expires_at_ms));
    }

    pub fn remove(&self, key: &str) {
        self.strings.borrow_mut().remove(key);
    }

    /// `LPUSH`: adds to the head (left) of a list.
    pub fn push(&self, list: &str, value: &str) {
        self.lists.borrow_mut().entry(list.to_owned()).or_default().insert(0, value.to_owned());
    }

    pub fn list(&self, list: &str) -> Vec<String> {
        self.lists.borrow().get(list).cloned().unwrap_or_default()
    }

    pub fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
        self.strings.borrow().keys().filter(|key| key.starts_with(prefix)).cloned().collect()
    }

    pub fn fetched_keys(&self) -> Vec<String> {
        self.fetched.borrow().clone()
    }

    /// Makes every later command fail, as when the server is down.
    pub fn fail_all(&self) {
        *self.failing.borrow_mut() = true;
    }
}

impl RedisCommands for FakeRedis {
    fn execute(&self, command: &str, arguments: &[RedisParameter]) -> Result<Vec<RedisResult>, String> {
        if *self.failing.borrow() {
            return Err("connection refused".to_owned());
        }
        let texts: Vec<String> = arguments
            .iter()
            .map(|argument| match argument {
                RedisParameter::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                RedisParameter::Int64(number) => number.to_string(),
            })
            .collect();
        let mut strings = self.strings.borrow_mut();

        let reply = match command {
            "GET" | "MGET" => {
                self.fetched.borrow_mut().extend(texts.iter().cloned());
                texts
                    .iter()
                    .map(|key| {
                        strings
                            .get(key)
                            .map_or(RedisResult::Nil, |(value, _)| RedisResult::Binary(value.clone()))
                    })
                    .collect()
            }
            "DEL" => {
                let deleted = texts.iter().filter(|key| strings.remove(*key).is_some()).count();
                vec![RedisResult::Int64(deleted as i64)]
            }
            "STRLEN" => {
                vec![RedisResult::Int64(strings.get(&texts[0]).map_or(0, |(value, _)| value.len() as i64))]
            }
            "PEXPIRETIME" => {
                vec![RedisResult::Int64(
                    strings.get(&texts[0]).map_or(-2, |(_, expires_at_ms)| *expires_at_ms as i64),
                )]
            }
            "LPOS" => {
                let lists = self.lists.borrow();
                let position =
                    lists.get(&texts[0]).and_then(|items| items.iter().position(|item| *item == texts[1]));
                vec![position.map_or(RedisResult::Nil, |index| RedisResult::Int64(index as i64))]
            }
            "LREM" => {
                // Only `LREM list 0 value` (remove every occurrence) is used.
                assert_eq!(texts[1], "0", "LREM count");
                let mut lists = self.lists.borrow_mut();
                let items = lists.entry(texts[0].clone()).or_default();
                let before = items.len();
                items.retain(|item| *item != texts[2]);
                vec![RedisResult::Int64((before - items.len()) as i64)]
            }
            other => panic!("the fake does not implement {other}"),
        };
        Ok(reply)
    }
}
