//! Where switches are: the targets `--connect` dials and the address
//! `--listen` binds, in Open vSwitch's spelling (`unix:PATH`,
//! `tcp:IP:PORT`, `ptcp:PORT[:IP]`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

/// A switch's passive socket to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `unix:PATH`: a Unix domain socket, such as a bridge's
    /// `<rundir>/<bridge>.mgmt`.
    Unix(PathBuf),
    /// `tcp:IP:PORT` (`tcp:[IPv6]:PORT` for IPv6).
    Tcp(SocketAddr),
}

/// An address to accept switch connections on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen(pub SocketAddr);

/// The OpenFlow port switches connect to by default.
pub const OPENFLOW_PORT: u16 = 6653;

fn parse_socket_addr(s: &str, what: &str) -> Result<SocketAddr, String> {
    s.parse::<SocketAddr>().map_err(|_| {
        format!("{what} {s:?} is not IP:PORT (write tcp:127.0.0.1:6653 or tcp:[::1]:6653)")
    })
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Target, String> {
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(
                    "unix: needs a socket path (unix:/var/run/openvswitch/br0.mgmt)".into(),
                );
            }
            Ok(Target::Unix(PathBuf::from(path)))
        } else if let Some(addr) = s.strip_prefix("tcp:") {
            Ok(Target::Tcp(parse_socket_addr(addr, "tcp target")?))
        } else {
            Err(format!(
                "switch target {s:?}: expected unix:PATH or tcp:IP:PORT"
            ))
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Unix(p) => write!(f, "unix:{}", p.display()),
            Target::Tcp(a) => write!(f, "tcp:{a}"),
        }
    }
}

impl FromStr for Listen {
    type Err = String;

    /// `tcp:IP:PORT`, or Open vSwitch's `ptcp:PORT[:IP]` (all IPv4
    /// addresses when IP is left out).
    fn from_str(s: &str) -> Result<Listen, String> {
        if let Some(addr) = s.strip_prefix("tcp:") {
            return Ok(Listen(parse_socket_addr(addr, "listen address")?));
        }
        if let Some(rest) = s.strip_prefix("ptcp:") {
            let (port, ip) = match rest.split_once(':') {
                Some((port, ip)) => (port, ip.trim_start_matches('[').trim_end_matches(']')),
                None => (rest, ""),
            };
            let port = if port.is_empty() {
                OPENFLOW_PORT
            } else {
                port.parse::<u16>()
                    .map_err(|_| format!("listen address {s:?}: bad port {port:?}"))?
            };
            let ip = if ip.is_empty() {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            } else {
                ip.parse::<IpAddr>()
                    .map_err(|_| format!("listen address {s:?}: bad IP {ip:?}"))?
            };
            return Ok(Listen(SocketAddr::new(ip, port)));
        }
        Err(format!(
            "listen address {s:?}: expected tcp:IP:PORT or ptcp:PORT[:IP]"
        ))
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tcp:{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_print_back() {
        for s in ["unix:/run/br0.mgmt", "tcp:127.0.0.1:6653", "tcp:[::1]:6653"] {
            let t: Target = s.parse().unwrap();
            assert_eq!(t.to_string(), s);
        }
        assert_eq!(
            "unix:/x".parse::<Target>().unwrap(),
            Target::Unix("/x".into())
        );
        for bad in [
            "unix:",
            "tcp:127.0.0.1",
            "tcp:host:1",
            "/run/br0.mgmt",
            "ssl:1.2.3.4:6653",
        ] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }

    #[test]
    fn listen_addresses_in_both_spellings() {
        let l: Listen = "tcp:127.0.0.1:6633".parse().unwrap();
        assert_eq!(l.0, "127.0.0.1:6633".parse().unwrap());
        assert_eq!(
            "ptcp:".parse::<Listen>().unwrap().0,
            "0.0.0.0:6653".parse().unwrap()
        );
        assert_eq!(
            "ptcp:6000:127.0.0.1".parse::<Listen>().unwrap().0,
            "127.0.0.1:6000".parse().unwrap()
        );
        assert_eq!(
            "ptcp:6000:[::1]".parse::<Listen>().unwrap().0,
            "[::1]:6000".parse().unwrap()
        );
        assert!("ptcp:x".parse::<Listen>().is_err());
        assert!("unix:/x".parse::<Listen>().is_err());
    }
}
