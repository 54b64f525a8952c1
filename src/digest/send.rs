//! Sending the day's digests: once per recipient per day, even across
//! restarts. Each recipient's row in `digest_sends` is claimed (and
//! journaled) before the email leaves; a claimed row is never sent again,
//! so a crash between claim and delivery loses at most that one digest
//! (it stays 'sending' for a person to look at) and never duplicates it.

use super::{email, gather, message, recipients, reply_json, snapshot_firm};
use anyhow::Result;
use cabready_mailer::transport::Transport;
use cabready_store::calendar::CalendarRules;
use cabready_store::digest as store_digest;
use cabready_store::{users, Lang, Store};
use chrono::{DateTime, NaiveDate, Utc};

/// What happened to one recipient's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    AlreadyClaimed,
    Failed(String),
}

pub struct Sender<'a> {
    pub store: &'a Store,
    pub transport: &'a Transport,
    pub rules: &'a CalendarRules,
    pub lang: Lang,
    pub from_address: &'a str,
    pub from_name: Option<&'a str>,
    pub opted_in: &'a [String],
}

impl Sender<'_> {
    /// Sends the digest of `today` to every recipient of the firm who has
    /// not had it yet; returns (recipient email, outcome).
    pub async fn run_day(
        &self,
        firm_id: i64,
        firm_name: &str,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, Outcome)>> {
        snapshot_firm(self.store, firm_id, self.rules, today, now).await?;
        let mut conn = self.store.pool().acquire().await?;
        let people = recipients(&users::list(&mut conn, firm_id).await?, self.opted_in);
        drop(conn);
        let mut out = Vec::new();
        for user in people {
            let to = user.record.email.as_str().to_string();
            let claimed = {
                let mut tx = self.store.begin_write().await?;
                let id = store_digest::claim(&mut tx, firm_id, user.id, today, now).await?;
                tx.commit().await?;
                id
            };
            let Some(id) = claimed else {
                out.push((to, Outcome::AlreadyClaimed));
                continue;
            };
            let result: Result<(String, serde_json::Value)> = async {
                let mut conn = self.store.pool().acquire().await?;
                let digest = gather(
                    &mut conn, firm_id, firm_name, &user, self.rules, today, now, self.lang,
                )
                .await?;
                drop(conn);
                let mail = email(&digest, self.lang)?;
                let domain = self
                    .from_address
                    .rsplit_once('@')
                    .map(|(_, d)| d)
                    .unwrap_or("cabready.invalid");
                let token = format!("digest-{firm_id}-{}-{}", user.id, today.format("%Y%m%d"));
                let message_id = format!("<{token}@{domain}>");
                let msg = message(
                    &mail,
                    self.from_address,
                    self.from_name,
                    &to,
                    &message_id,
                    now,
                )?;
                self.transport
                    .send(msg.envelope(), &msg.formatted(), &token)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                Ok((message_id, reply_json(&digest.reply(self.lang))))
            }
            .await;
            let mut tx = self.store.begin_write().await?;
            match result {
                Ok((message_id, chat)) => {
                    store_digest::mark_sent(&mut tx, firm_id, id, &message_id, chat, now).await?;
                    out.push((to, Outcome::Sent));
                }
                Err(error) => {
                    let error = format!("{error:#}");
                    store_digest::mark_failed(&mut tx, firm_id, id, &error, now).await?;
                    out.push((to, Outcome::Failed(error)));
                }
            }
            tx.commit().await?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cabready_store::domain::*;
    use cabready_store::dossiers::{self, ActivityFlags, ContactRecord, DossierRecord};
    use cabready_store::firms;
    use cabready_store::journal::Actor;
    use cabready_store::users::UserRecord;
    use cabready_testkit::{both_backends, TestDb};
    use chrono::TimeZone;

    async fn setup(db: &TestDb) -> (i64, String) {
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        let mut tx = db.store.begin().await.unwrap();
        let (firm, _) = firms::ensure(&mut tx, "Cabinet Digest", &[], &Actor::System, now)
            .await
            .unwrap();
        for (email, role, portfolios) in [
            ("claire@digest.fr", Role::Manager, vec!["Nord".to_string()]),
            ("anne@digest.fr", Role::Accountant, vec!["Nord".to_string()]),
            (
                "bruno@digest.fr",
                Role::Accountant,
                vec!["Nord".to_string()],
            ),
        ] {
            let u = UserRecord {
                email: Email::parse(email).unwrap(),
                name: email.into(),
                role,
                discord_id: None,
                portfolios,
            };
            users::upsert(&mut tx, firm.id, &u, &Actor::System, now)
                .await
                .unwrap();
        }
        for i in 1..=3u32 {
            let record = DossierRecord {
                code: format!("G{i:03}"),
                legal_name: format!("Société {i}"),
                siren: Siren::with_check_digit(100 + i),
                legal_form: None,
                financials: Financials::default(),
                category: Some((SizeCategory::Micro, CategorySource::Override)),
                vat: None,
                flags: ActivityFlags::default(),
                owner: None,
                portfolio: Some("Nord".into()),
                tags: vec![],
                contact: Some(ContactRecord {
                    name: "C".into(),
                    email: Email::parse(&format!("g{i}@client.fr")).unwrap(),
                }),
            };
            dossiers::upsert(&mut tx, firm.id, &record, &Actor::System, now)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        (firm.id, "Cabinet Digest".into())
    }

    fn maildir_count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir.join("new")).unwrap().count()
    }

    both_backends!(
        digests_go_once_per_recipient_per_day_across_restarts,
        |db: TestDb| async move {
            let (firm, name) = setup(&db).await;
            let mail = tempfile::tempdir().unwrap();
            let rules = CalendarRules::default();
            let opted_in = vec!["anne@digest.fr".to_string()];
            let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
            let now = Utc.with_ymd_and_hms(2026, 11, 25, 7, 0, 0).unwrap();
            for run in 0..2 {
                // A new store connection and transport each run: a restart.
                let store = cabready_store::Store::connect(&db.url).await.unwrap();
                let transport = Transport::maildir(mail.path()).unwrap();
                let sender = Sender {
                    store: &store,
                    transport: &transport,
                    rules: &rules,
                    lang: Lang::Fr,
                    from_address: "cabinet@digest.fr",
                    from_name: Some("Cabinet Digest"),
                    opted_in: &opted_in,
                };
                let outcomes = sender.run_day(firm, &name, day, now).await.unwrap();
                let expected = if run == 0 {
                    Outcome::Sent
                } else {
                    Outcome::AlreadyClaimed
                };
                assert_eq!(
                    outcomes,
                    vec![
                        ("anne@digest.fr".to_string(), expected.clone()),
                        ("claire@digest.fr".to_string(), expected),
                    ],
                    "the manager and the opted-in accountant, not bruno"
                );
                store.close().await;
            }
            assert_eq!(maildir_count(mail.path()), 2, "two emails, not four");
            let mut conn = db.store.pool().acquire().await.unwrap();
            let sends = store_digest::sends_of_day(&mut conn, firm, day)
                .await
                .unwrap();
            assert!(sends.iter().all(|(_, s)| s == "sent"), "{sends:?}");
            let journaled: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM journal WHERE firm_id = $1 AND action = 'digest.sent'",
            )
            .bind(firm)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
            assert_eq!(journaled, 2);
            // The next day, a new digest.
            let next = Utc.with_ymd_and_hms(2026, 11, 26, 7, 0, 0).unwrap();
            let transport = Transport::maildir(mail.path()).unwrap();
            let sender = Sender {
                store: &db.store,
                transport: &transport,
                rules: &rules,
                lang: Lang::Fr,
                from_address: "cabinet@digest.fr",
                from_name: None,
                opted_in: &opted_in,
            };
            let outcomes = sender
                .run_day(firm, &name, day.succ_opt().unwrap(), next)
                .await
                .unwrap();
            assert!(outcomes.iter().all(|(_, o)| *o == Outcome::Sent));
            assert_eq!(maildir_count(mail.path()), 4);
            // The email has its text part, its HTML and two inline PNGs.
            let eml = std::fs::read_dir(mail.path().join("new"))
                .unwrap()
                .flatten()
                .map(|e| std::fs::read_to_string(e.path()).unwrap())
                .find(|t| t.contains("claire@digest.fr"))
                .unwrap();
            assert!(eml.contains("multipart/related"));
            assert!(eml.contains("Content-Type: image/png"));
            assert!(eml.contains("Content-ID: <trend>"));
            assert!(eml.contains("text/plain"));
        }
    );
}
