//! Host side of `fermyon:spin/variables@2.0.0`.

use crate::bindings::fermyon::spin::variables::{Error, Host};
use crate::state::InstanceState;

impl Host for InstanceState {
    /// Returns a component variable, with Spin's errors: `invalid-name` for a malformed name,
    /// `undefined` for a name the component's `[component.<id>.variables]` does not declare.
    async fn get(&mut self, name: String) -> Result<String, Error> {
        if let Err(error) = crate::variables::check_name(&name) {
            return Err(Error::InvalidName(error.to_string()));
        }
        match self.policy.variables.get(&name) {
            Some(value) => Ok(value.clone()),
            None => Err(Error::Undefined(format!("no variable for {:?}.{name:?}", self.policy.id))),
        }
    }
}
