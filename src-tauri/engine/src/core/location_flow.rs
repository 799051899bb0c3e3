//! Where the agent is, kept ready before anyone dials: the core recomputes the location when the
//! machine's addresses change (checked every [`NETWORK_CHECK`]) and asks the HELD server in the background
//! when one is configured. An emergency dial only reads [`LocationState::current`]; it never waits here.
//!
//! The agent's own entry is tied to the network it was made on (`location::entry`). On another network it
//! needs confirming: the UI is asked (`prompt: confirm_entry`) "are you still at …?", and the agent
//! confirms (the same address again, tied to this network) or enters another. Back on the entry's network
//! it is valid again without asking.
//!
//! An unconfirmed entry never blocks or delays an emergency call. If the agent dials before answering, the
//! order of `resolve::choose` still applies: a location measured from the network (HELD, IT's subnet map)
//! wins when there is one; otherwise the unconfirmed entry is sent, dated when the agent last confirmed it
//! (the PIDF-LO's `<timestamp>` tells the dispatcher its age), and the notices to the contacts say it was
//! not confirmed on this network. An address that was right an hour ago is more use to a dispatcher than
//! none, and the policy's fixed address is the one the agent had already overridden. During a call, a
//! network change alone never replaces or drops the entry the dispatcher has: only the agent's correction
//! does, through the mid-call update (`relocate_flow`).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use super::{Core, Output, Work};
use crate::api::{ErrorCode, Event};
use crate::location::entry::{AgentEntry, NetworkFingerprint};
use crate::location::network::{NetworkChange, NetworkMap};
use crate::location::resolve::{choose, Candidates};
use crate::location::{held, CivicAddress, Location, LocationSource};
use crate::notify::{address_lines, DeviceInfo};

/// How often the machine's addresses are compared with the last look.
pub const NETWORK_CHECK: Duration = Duration::from_secs(10);
/// How often the HELD server is asked again when nothing changed.
pub const HELD_REFRESH: Duration = Duration::from_secs(300);

#[derive(Default)]
pub struct LocationState {
    pub map: NetworkMap,
    /// The location server's answer, its method and when it answered.
    pub held: Option<(CivicAddress, String, OffsetDateTime)>,
    /// The agent's own entry, when they made or confirmed it, and on which network.
    pub agent_entry: Option<AgentEntry>,
    /// The last network the machine was on (kept while offline: going offline is not moving).
    pub network: NetworkFingerprint,
    /// When the machine was first seen on the network it is on (a network-map address is as old as that).
    network_since: Option<OffsetDateTime>,
    /// When the policy in force was taken (its fixed address is as old as that).
    pub policy_at: Option<OffsetDateTime>,
    pub device: DeviceInfo,
    pub current: Option<Location>,
    pub prompt: Option<&'static str>,
    last_check: Option<Instant>,
    last_held: Option<Instant>,
    held_in_flight: bool,
    /// What the UI was last told (so an unchanged location is not announced again).
    announced: Option<Event>,
}

/// One line to show or read out: "100 Main St, Floor 3, Room 301, Austin, TX, 78701, US".
pub fn label(a: &CivicAddress) -> String {
    use crate::location::CivicField as F;
    let mut lines = address_lines(a);
    let extra: Vec<String> = [(F::Flr, "Floor"), (F::Room, "Room")]
        .iter()
        .filter_map(|(f, word)| {
            a.get(*f)
                .filter(|v| !v.trim().is_empty())
                .map(|v| format!("{word} {v}"))
        })
        .collect();
    if !extra.is_empty() {
        let at = lines.len().min(1);
        lines.insert(at, extra.join(", "));
    }
    lines.join(", ")
}

impl Core {
    /// Asks the driver to look at the network when due; what it sees comes back as
    /// [`super::Input::NetworkSeen`] (the machine's names and addresses are system calls, not the core's).
    pub(super) fn refresh_location(&mut self) {
        let now = self.now.mono;
        let due = self
            .location
            .last_check
            .is_none_or(|t| now.duration_since(t) >= NETWORK_CHECK);
        if due {
            self.location.last_check = Some(now);
            self.push(Output::Work(Work::LookAtNetwork));
        }
    }

    /// The machine's names and addresses as the driver saw them (`first`: at start, before anything was
    /// known): recomputes the location and announces a change.
    pub(super) fn network_seen(&mut self, device: DeviceInfo, first: bool) -> Vec<Event> {
        let now = self.now.mono;
        if first {
            self.location.last_check = Some(now);
        }
        let utc = self.now.utc;
        let old: Vec<IpAddr> = self.location.device.ip_addresses.clone();
        let change = self.location.map.change(&old, &device.ip_addresses);
        let moved = first
            || !matches!(
                change,
                NetworkChange::Unchanged | NetworkChange::SameLocation
            );
        let fingerprint = NetworkFingerprint::of(&device.ip_addresses);
        if !fingerprint.is_empty() {
            self.location.network = fingerprint;
        }
        self.location.device = device;
        let network = &self.location.network;
        if let Some(e) = self.location.agent_entry.as_mut() {
            if e.adopt(network) {
                let e = e.clone();
                self.push(Output::Store(super::StoreRequest::AgentEntry(e)));
            }
        }
        if moved || self.location.network_since.is_none() {
            self.location.network_since = Some(utc);
        }
        if moved && !first {
            tracing::info!(change = ?change, "network change");
            // A location measured on the old network no longer says where the agent is.
            self.location.held = None;
        }
        let held_due = self.policy.policy.location.held_url.is_some()
            && !self.location.held_in_flight
            && (moved
                || self
                    .location
                    .last_held
                    .is_none_or(|t| now.duration_since(t) >= HELD_REFRESH));
        if held_due {
            self.ask_held(now);
        }
        self.recompute_location(matches!(change, NetworkChange::UnknownNetwork))
    }

    fn ask_held(&mut self, now: Instant) {
        let Some(url) = self.policy.policy.location.held_url.clone() else {
            return;
        };
        self.location.held_in_flight = true;
        self.location.last_held = Some(now);
        self.push(Output::Work(Work::AskHeld {
            url,
            lab: self.cfg.lab,
        }));
    }

    pub(super) fn on_held(&mut self, result: Result<held::HeldLocation, String>) -> Vec<Event> {
        self.location.held_in_flight = false;
        match result {
            Ok(h) => match h.address.validate() {
                Ok(_) => self.location.held = Some((h.address, h.method, self.now.utc)),
                Err(e) => tracing::warn!("the location server's address is not dispatchable: {e}"),
            },
            Err(e) => tracing::warn!("location server: {e}"),
        }
        self.recompute_location(false)
    }

    /// Chooses the location from what is known and tells the UI when it (or the prompt) changed.
    pub(super) fn recompute_location(&mut self, unknown_network: bool) -> Vec<Event> {
        let ips = self.location.device.ip_addresses.clone();
        let network_map = self
            .location
            .map
            .lookup(&ips)
            .and_then(|i| self.location.map.entry(i))
            .map(|e| {
                let since = self.location.network_since.unwrap_or(self.now.utc);
                (e.address.clone(), since)
            });
        let candidates = Candidates {
            held: self.location.held.clone(),
            network_map,
            agent_entry: self
                .location
                .agent_entry
                .as_ref()
                .map(|e| (e.address.clone(), e.at)),
            policy: self
                .policy
                .policy
                .location
                .address
                .clone()
                .map(|a| (a, self.location.policy_at.unwrap_or(self.now.utc))),
        };
        let unconfirmed = self
            .location
            .agent_entry
            .as_ref()
            .is_some_and(|e| !e.confirmed_on(&self.location.network));
        self.location.current = choose(&candidates).map(|mut l| {
            // Still sent (see the module doc), marked so the notices can say it.
            l.unconfirmed = unconfirmed && l.source == LocationSource::AgentEntry;
            l
        });
        let confirm_entry = self
            .location
            .current
            .as_ref()
            .is_some_and(|l| l.unconfirmed);
        // Without a network map every network is "unknown": only ask when IT maps its networks (or nothing
        // but the agent's word can say where they are).
        let trusted = candidates.held.is_some()
            || candidates.network_map.is_some()
            || (candidates.agent_entry.is_some() && !unconfirmed)
            || (self.location.map.is_empty() && candidates.policy.is_some());
        self.location.prompt = match &self.location.current {
            None => Some("missing"),
            Some(_) if confirm_entry => Some("confirm_entry"),
            Some(_)
                if unknown_network
                    && !trusted
                    && self.policy.policy.location.prompt_unknown_network =>
            {
                Some("unknown_network")
            }
            Some(_) if self.location.prompt == Some("unknown_network") && !trusted => {
                Some("unknown_network")
            }
            Some(_) => None,
        };
        // The dispatcher of a call in progress gets the new location too.
        self.relocate_calls();
        let ev = self.location_event();
        if self.location.announced.as_ref() == Some(&ev) {
            return vec![];
        }
        self.location.announced = Some(ev.clone());
        vec![ev]
    }

    pub(super) fn location_event(&self) -> Event {
        Event::Location {
            label: self.location.current.as_ref().map(|l| label(&l.address)),
            source: self
                .location
                .current
                .as_ref()
                .map(|l| l.source.label().to_owned()),
            prompt: self.location.prompt.map(str::to_owned),
            address: self.location.current.as_ref().map(|l| l.address.clone()),
        }
    }

    /// The agent typed (or confirmed) where they are.
    pub(super) fn set_location(&mut self, address: CivicAddress) -> Vec<Event> {
        if let Err(e) = address.validate() {
            return vec![Event::error(
                ErrorCode::LocationInvalid,
                format!("This address cannot be used for emergency calls: {e}"),
                &[("detail", e.to_string())],
            )];
        }
        // Typed or confirmed here: tied to the network the machine is on now.
        let entry = AgentEntry::made(address, self.now.utc, &self.location.network);
        self.location.agent_entry = Some(entry.clone());
        self.push(Output::Store(super::StoreRequest::AgentEntry(entry)));
        self.location.prompt = None;
        self.recompute_location(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::CivicField;

    #[test]
    fn the_label_reads_like_an_address_with_floor_and_room() {
        let a = CivicAddress {
            country: "US".into(),
            lang: None,
            fields: [
                (CivicField::A1, "TX"),
                (CivicField::A3, "Austin"),
                (CivicField::Rd, "Main"),
                (CivicField::Sts, "St"),
                (CivicField::Hno, "100"),
                (CivicField::Flr, "3"),
                (CivicField::Room, "301"),
            ]
            .into_iter()
            .map(|(f, v)| (f, v.to_owned()))
            .collect(),
        };
        assert_eq!(label(&a), "100 Main St, Floor 3, Room 301, Austin, TX, US");
    }
}

#[cfg(test)]
#[path = "entry_tests.rs"]
mod entry_tests;
