//! A private Dovecot for one test, when the shared one of `scripts/test-env`
//! will not do: a server the test restarts, or one with other settings
//! (e.g. without IDLE). The recipe of `../shared/DESIGN.md`: a temp dir,
//! plain IMAP on a free loopback port, one passwd-file user `relances`
//! (password `secret`) with `/` as hierarchy separator; as root, everything
//! runs as `nobody`. Stopped and removed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PrivateDovecot {
    pub dir: PathBuf,
    pub port: u16,
}

pub const USER: &str = "relances";
pub const PASSWORD: &str = "secret";

fn binary() -> &'static str {
    ["/usr/sbin/dovecot", "/usr/bin/dovecot"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("Dovecot is not installed: `scripts/test-env up` installs dovecot-imapd")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PrivateDovecot {
    /// Starts one; `extra` is appended to its `dovecot.conf` (e.g.
    /// `imap_capability = …`).
    pub fn start(extra: &str) -> PrivateDovecot {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!(
            "cabready-private-dovecot-{port}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(dir.join("home/relances")).unwrap();
        let root = is_root();
        let (user, group, uid, gid) = if root {
            ("nobody".to_string(), "nogroup".to_string(), 65534, 65534)
        } else {
            let id = |flag: &str| {
                String::from_utf8(Command::new("id").arg(flag).output().unwrap().stdout)
                    .unwrap()
                    .trim()
                    .to_string()
            };
            (
                id("-un"),
                id("-gn"),
                id("-u").parse().unwrap(),
                id("-g").parse().unwrap(),
            )
        };
        let d = dir.display();
        let conf = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\ninstance_name = cabready-private-{port}\n\
protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\n\
default_internal_user = {user}\ndefault_login_user = {user}\ndefault_internal_group = {group}\n\
first_valid_uid = 1\nfirst_valid_gid = 1\nmail_location = maildir:~/Maildir\n\
namespace inbox {{\n  inbox = yes\n  separator = /\n}}\n\
passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/users\n}}\n\
userdb {{\n  driver = passwd-file\n  args = username_format=%u {d}/users\n}}\n\
service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
service anvil {{\n  chroot =\n}}\nservice stats {{\n  chroot =\n}}\nservice pop3-login {{\n  chroot =\n}}\nservice submission-login {{\n  chroot =\n}}\n{extra}\n"
        );
        std::fs::write(dir.join("dovecot.conf"), conf).unwrap();
        std::fs::write(
            dir.join("users"),
            format!("{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{d}/home/relances\n"),
        )
        .unwrap();
        if root {
            let status = Command::new("chown")
                .args(["-R", "nobody:nogroup"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(status.success());
        }
        let dovecot = PrivateDovecot { dir, port };
        dovecot.launch();
        dovecot
    }

    fn launch(&self) {
        let status = Command::new(binary())
            .arg("-c")
            .arg(self.dir.join("dovecot.conf"))
            .status()
            .unwrap();
        assert!(status.success(), "dovecot did not start: {}", self.log());
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("dovecot not listening: {}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }

    pub fn stop(&self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("run/master.pid")) {
            let pid = pid.trim().to_string();
            let _ = Command::new("kill").arg(&pid).status();
            // The master holds its base_dir until it is gone.
            for _ in 0..200 {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
        }
    }

    pub fn restart(&self) {
        self.stop();
        self.launch();
    }
}

impl Drop for PrivateDovecot {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
