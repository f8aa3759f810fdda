//! PeopleStore on PostgreSQL.

use async_trait::async_trait;
use jiff::Timestamp;
use tocsin_store::*;

use crate::PgStore;

#[async_trait]
impl PeopleStore for PgStore {
    async fn add_override(&self, entry: &OverrideRecord) -> Result<()> {
        todo!("add_override on PostgreSQL")
    }

    async fn overrides(&self, ending_after: Timestamp) -> Result<Vec<OverrideRecord>> {
        todo!("overrides on PostgreSQL")
    }

    async fn delete_override(&self, id: &str) -> Result<bool> {
        todo!("delete_override on PostgreSQL")
    }

    async fn setting_or_insert(&self, name: &str, create: String) -> Result<String> {
        todo!("setting_or_insert on PostgreSQL")
    }

    async fn add_user(&self, user: &UserRecord) -> Result<bool> {
        todo!("add_user on PostgreSQL")
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        todo!("user_by_email on PostgreSQL")
    }

    async fn set_password(&self, email: &str, password_hash: &str, at: Timestamp) -> Result<bool> {
        todo!("set_password on PostgreSQL")
    }

    async fn add_session(&self, session: &SessionRecord) -> Result<()> {
        todo!("add_session on PostgreSQL")
    }

    async fn session(&self, id: &str) -> Result<Option<(SessionRecord, UserRecord)>> {
        todo!("session on PostgreSQL")
    }

    async fn touch_session(&self, id: &str, at: Timestamp) -> Result<()> {
        todo!("touch_session on PostgreSQL")
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        todo!("delete_session on PostgreSQL")
    }

    async fn add_api_token(
        &self,
        id: &str,
        token_hash: &str,
        role: Role,
        at: Timestamp,
    ) -> Result<()> {
        todo!("add_api_token on PostgreSQL")
    }

    async fn api_token_role(&self, token_hash: &str) -> Result<Option<Role>> {
        todo!("api_token_role on PostgreSQL")
    }
}
