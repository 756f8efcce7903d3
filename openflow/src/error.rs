//! Decode and encode errors.
//!
//! A [`DecodeError`] is cheap to copy: an [`ErrorKind`] that says which
//! OpenFlow error the peer gets back, and a `&'static str` context naming the
//! object that failed ("oxm length", "action list"). [`ErrorKind::ofp_code`]
//! gives the (type, code) pair of the error message for each version.

use std::fmt;

use crate::error_codes::{ErrorTypeEntry, OF10, OF11, OF12, OF13, OF14};
use crate::Version;

/// What went wrong while decoding, in the vocabulary of OpenFlow's error
/// messages (names follow OpenFlow 1.3's `ofp_*_code` enums).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// OFPBRC_BAD_VERSION: the header's version is not supported.
    BadVersion,
    /// OFPBRC_BAD_TYPE: unknown message type.
    BadType,
    /// OFPBRC_BAD_MULTIPART: unknown multipart (stats) type.
    BadMultipart,
    /// OFPBRC_BAD_EXPERIMENTER: unknown experimenter id.
    BadExperimenter,
    /// OFPBRC_BAD_EXP_TYPE: unknown experimenter type.
    BadExpType,
    /// OFPBRC_BAD_LEN: a length field disagrees with the bytes present.
    BadLen,
    /// OFPBRC_BAD_PORT: invalid port number in a request.
    BadPort,
    /// OFPBRC_BAD_TABLE_ID: invalid table id in a request.
    BadTableId,
    /// OFPBRC_MULTIPART_BUFFER_OVERFLOW: a multipart request spans too many messages.
    MultipartBufferOverflow,
    /// OFPBMC_BAD_TYPE: unsupported match type.
    BadMatchType,
    /// OFPBMC_BAD_LEN: match length problem.
    BadMatchLen,
    /// OFPBMC_BAD_TAG: unsupported match class or TLV.
    BadMatchTag,
    /// OFPBMC_BAD_DL_ADDR_MASK: unsupported Ethernet address mask.
    BadDlAddrMask,
    /// OFPBMC_BAD_NW_ADDR_MASK: unsupported IP address mask.
    BadNwAddrMask,
    /// OFPBMC_BAD_WILDCARDS: unsupported wildcard combination.
    BadWildcards,
    /// OFPBMC_BAD_FIELD: unsupported field type in the match.
    BadField,
    /// OFPBMC_BAD_VALUE: unsupported value in a match field.
    BadValue,
    /// OFPBMC_BAD_MASK: unsupported mask for the field.
    BadMask,
    /// OFPBMC_BAD_PREREQ: a field's prerequisites are not met.
    BadPrereq,
    /// OFPBMC_DUP_FIELD: a field appears more than once.
    DupField,
    /// OFPBAC_BAD_TYPE: unknown action type.
    BadActionType,
    /// OFPBAC_BAD_LEN: action length problem.
    BadActionLen,
    /// OFPBAC_BAD_EXPERIMENTER: unknown experimenter id in an action.
    BadActionExperimenter,
    /// OFPBAC_BAD_EXP_TYPE: unknown experimenter action type.
    BadActionExpType,
    /// OFPBAC_BAD_OUT_PORT: invalid output port.
    BadOutPort,
    /// OFPBAC_BAD_ARGUMENT: bad action argument.
    BadActionArgument,
    /// OFPBAC_BAD_OUT_GROUP: invalid group in an action.
    BadOutGroup,
    /// OFPBAC_BAD_SET_TYPE: unsupported field in a set-field action.
    BadSetType,
    /// OFPBAC_BAD_SET_LEN: length problem in a set-field action.
    BadSetLen,
    /// OFPBAC_BAD_SET_ARGUMENT: bad argument in a set-field action.
    BadSetArgument,
    /// OFPBIC_UNKNOWN_INST: unknown instruction.
    UnknownInstruction,
    /// OFPBIC_UNSUP_INST: instruction not supported.
    UnsupportedInstruction,
    /// OFPBIC_BAD_TABLE_ID: goto-table to an invalid table.
    BadInstructionTableId,
    /// OFPBIC_BAD_LEN: instruction length problem.
    BadInstructionLen,
    /// OFPBIC_BAD_EXPERIMENTER: unknown experimenter instruction.
    BadInstructionExperimenter,
    /// OFPFMFC_BAD_COMMAND: unknown flow-mod command.
    BadFlowModCommand,
    /// OFPFMFC_BAD_FLAGS: unsupported flow-mod flags.
    BadFlowModFlags,
    /// OFPGMFC_BAD_COMMAND: unknown group-mod command.
    BadGroupModCommand,
    /// OFPGMFC_BAD_TYPE: unknown group type.
    BadGroupType,
    /// OFPGMFC_BAD_BUCKET: malformed bucket.
    BadBucket,
    /// OFPMMFC_BAD_COMMAND: unknown meter-mod command.
    BadMeterModCommand,
    /// OFPMMFC_BAD_BAND: malformed meter band.
    BadMeterBand,
    /// OFPPMFC_BAD_CONFIG / OFPTMFC_BAD_CONFIG: bad port-mod or table-mod config.
    BadConfig,
    /// OFPBPC_BAD_TYPE (1.4 property): unknown property type.
    BadPropertyType,
    /// OFPBPC_BAD_LEN (1.4 property): property length problem.
    BadPropertyLen,
    /// OFPBFC_BAD_TYPE: bundle-add carrying a message that cannot be bundled.
    BadBundleType,
    /// OFPTMFC_BAD_TABLE: a table-mod for a table that does not exist.
    BadTableModTable,
    /// OFPTMFC_BAD_CONFIG: a table-mod config the switch does not support.
    BadTableModConfig,
    /// OFPBFC_BAD_ID: a bundle id that is not open.
    BadBundleId,
    /// OFPBFC_BUNDLE_EXIST: an open request for a bundle id in use.
    BundleExist,
    /// OFPBFC_BUNDLE_CLOSED: a message for a closed bundle.
    BundleClosed,
    /// OFPBFC_OUT_OF_BUNDLES: too many bundles open on the connection.
    OutOfBundles,
    /// OFPBFC_BAD_FLAGS: unsupported bundle flags (or flags that change).
    BadBundleFlags,
    /// OFPBFC_MSG_TOO_MANY: the bundle holds too many messages.
    BundleMsgTooMany,
    /// OFPBFC_MSG_FAILED: a message of the bundle failed; nothing was applied.
    BundleMsgFailed,
    /// OFPRRFC_BAD_ROLE: unknown role.
    BadRole,
    /// OFPRRFC_STALE: a role request with a stale generation id.
    RoleStale,
    /// OFPBRC_BUFFER_UNKNOWN: a buffer id the switch does not have.
    BufferUnknown,
    /// OFPPMFC_BAD_PORT: a port-mod for a port that does not exist.
    BadPortModPort,
    /// OFPPMFC_BAD_HW_ADDR: a port-mod whose hardware address is not the port's.
    BadHwAddr,
    /// OFPGMFC_GROUP_EXISTS: an add for a group id in use.
    GroupExists,
    /// OFPGMFC_INVALID_GROUP: a reserved group id, or an ill-formed group.
    InvalidGroup,
    /// OFPGMFC_LOOP: the group would forward to itself through a chain.
    GroupLoop,
    /// OFPGMFC_UNKNOWN_GROUP: a modify (or a chained group) names a missing group.
    UnknownGroup,
    /// OFPGMFC_BAD_WATCH: a fast-failover bucket without a watch port or group.
    BadWatch,
    /// OFPFMFC_TABLE_FULL (1.0: OFPFMFC_ALL_TABLES_FULL): no room for the flow.
    TableFull,
    /// OFPFMFC_BAD_TABLE_ID (1.1+): the flow-mod names a table that does not exist.
    BadFlowTableId,
    /// OFPFMFC_OVERLAP: CHECK_OVERLAP found an overlapping flow.
    FlowOverlap,
    /// OFPMMFC_UNKNOWN_METER (1.3+): a meter instruction names a missing meter.
    UnknownMeter,
    /// OFPMMFC_METER_EXISTS: an add for a meter id in use.
    MeterExists,
    /// OFPMMFC_INVALID_METER: a meter id that cannot be configured.
    InvalidMeter,
    /// OFPMMFC_BAD_FLAGS: meter flags not supported (or none of kbps/pktps).
    BadMeterFlags,
    /// OFPMMFC_BAD_RATE: a band rate of zero.
    BadMeterRate,
    /// OFPMMFC_OUT_OF_BANDS: more bands than the switch supports.
    OutOfBands,
    /// OFPBRC_IS_SLAVE (1.2+; OFPBRC_EPERM before): a slave controller
    /// sent a message that modifies the switch.
    IsSlave,
    /// OFPTFFC_BAD_TABLE / BAD_TYPE / BAD_LEN ...: malformed table-features property.
    BadTableFeatures,
    /// OFPMOFC_MONITOR_EXISTS (1.4): an add for a flow monitor id in use.
    MonitorExists,
    /// OFPMOFC_UNKNOWN_MONITOR (1.4): a modify or delete of a monitor id not in use.
    UnknownMonitor,
    /// OFPMOFC_BAD_COMMAND (1.4): an unknown flow monitor command.
    BadMonitorCommand,
    /// OFPMOFC_BAD_FLAGS (1.4): flow monitor flags the switch does not know.
    BadMonitorFlags,
    /// OFPMOFC_BAD_TABLE_ID (1.4): a flow monitor for a table that does not exist.
    BadMonitorTableId,
}

impl ErrorKind {
    /// The (type, code) pair of the OpenFlow error message a peer speaking
    /// `version` receives for this error.
    ///
    /// OpenFlow 1.0 has fewer error types; kinds without an equivalent map to
    /// the closest 1.0 error (e.g. OXM errors become `OFPET_BAD_REQUEST`).
    pub fn ofp_code(self, version: Version) -> (u16, u16) {
        use ErrorKind::*;
        if version == Version::V1_0 {
            return match self {
                BadVersion => (1, 0),
                BadType => (1, 1),
                BadMultipart => (1, 2),
                BadExperimenter => (1, 3),
                BadExpType => (1, 4),
                BadLen => (1, 6),
                BadPort | BadTableId => (1, 1),
                MultipartBufferOverflow => (1, 2),
                BadActionType => (2, 0),
                BadActionLen => (2, 1),
                BadActionExperimenter => (2, 2),
                BadActionExpType => (2, 3),
                BadOutPort => (2, 4),
                BadActionArgument | BadSetArgument | BadSetType | BadSetLen | BadOutGroup => (2, 5),
                BadFlowModCommand => (3, 4),
                BadFlowModFlags => (3, 5),
                BadConfig => (4, 0),
                IsSlave => (1, 5),
                BadPortModPort => (4, 0),
                BadHwAddr => (4, 1),
                BufferUnknown => (1, 8),
                TableFull => (3, 0),
                FlowOverlap => (3, 1),
                BadFlowTableId => (3, 5),
                _ => (1, 6),
            };
        }
        let code = match self {
            BadVersion => (1, 0),
            BadType => (1, 1),
            BadMultipart => (1, 2),
            BadExperimenter => (1, 3),
            BadExpType => (1, 4),
            BadLen => (1, 6),
            BadPort => (1, 11),
            BadTableId => (1, 9),
            MultipartBufferOverflow => (1, 13),
            BadActionType => (2, 0),
            BadActionLen => (2, 1),
            BadActionExperimenter => (2, 2),
            BadActionExpType => (2, 3),
            BadOutPort => (2, 4),
            BadActionArgument => (2, 5),
            BadOutGroup => (2, 9),
            BadSetType => (2, 13),
            BadSetLen => (2, 14),
            BadSetArgument => (2, 15),
            UnknownInstruction => (3, 0),
            UnsupportedInstruction => (3, 1),
            BadInstructionTableId => (3, 2),
            BadInstructionExperimenter => (3, 5),
            BadInstructionLen => (3, 8),
            BadMatchType => (4, 0),
            BadMatchLen => (4, 1),
            BadMatchTag => (4, 2),
            BadDlAddrMask => (4, 3),
            BadNwAddrMask => (4, 4),
            BadWildcards => (4, 5),
            BadField => (4, 6),
            BadValue => (4, 7),
            BadMask => (4, 8),
            BadPrereq => (4, 9),
            DupField => (4, 10),
            BadFlowModCommand => (5, 6),
            BadFlowModFlags => (5, 7),
            BadGroupModCommand => (6, 11),
            BadGroupType => (6, 10),
            BadBucket => (6, 12),
            BadConfig => (7, 2),
            BadRole => (11, 2),
            RoleStale => (11, 0),
            BadTableModTable => (8, 0),
            BadTableModConfig => (8, 1),
            BadBundleId => (17, 2),
            BundleExist => (17, 3),
            BundleClosed => (17, 4),
            OutOfBundles => (17, 5),
            BadBundleFlags => (17, 7),
            BundleMsgTooMany => (17, 12),
            BundleMsgFailed => (17, 13),
            BadPortModPort => (7, 0),
            BadHwAddr => (7, 1),
            GroupExists => (6, 0),
            InvalidGroup => (6, 1),
            GroupLoop => (6, 7),
            UnknownGroup => (6, 8),
            BadWatch => (6, 13),
            BufferUnknown => (1, 8),
            TableFull => (5, 1),
            BadFlowTableId => (5, 2),
            FlowOverlap => (5, 3),
            UnknownMeter => (12, 3),
            MeterExists => (12, 1),
            InvalidMeter => (12, 2),
            BadMeterFlags => (12, 5),
            BadMeterRate => (12, 6),
            OutOfBands => (12, 11),
            IsSlave if version < Version::V1_2 => (1, 5),
            IsSlave => (1, 10),
            BadMeterModCommand => (12, 4),
            BadMeterBand => (12, 8),
            BadTableFeatures if version < Version::V1_4 => (13, 3),
            BadTableFeatures => (14, 1),
            BadPropertyType | BadPropertyLen if version < Version::V1_4 => (1, 6),
            BadPropertyType => (14, 0),
            BadPropertyLen => (14, 1),
            BadBundleType => (17, 10),
            MonitorExists => (16, 1),
            UnknownMonitor => (16, 3),
            BadMonitorCommand => (16, 4),
            BadMonitorFlags => (16, 5),
            BadMonitorTableId => (16, 6),
        };
        if error_names(version, code.0, code.1).is_some_and(|(_, c)| c.is_some()) {
            code
        } else {
            (1, 6)
        }
    }
}

/// A failure to decode OpenFlow bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecodeError {
    /// Which OpenFlow error this is.
    pub kind: ErrorKind,
    /// The object that failed to decode ("oxm length", "flow-mod").
    pub context: &'static str,
}

impl DecodeError {
    /// A new error of `kind` about `context`.
    pub const fn new(kind: ErrorKind, context: &'static str) -> Self {
        DecodeError { kind, context }
    }

    /// A length problem (OFPBRC_BAD_LEN) in `context`.
    pub const fn bad_len(context: &'static str) -> Self {
        DecodeError::new(ErrorKind::BadLen, context)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.context, self.kind)
    }
}

impl std::error::Error for DecodeError {}

/// A failure to encode: the model holds something the target version cannot
/// express, or a value that does not fit its wire field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    /// The version being encoded.
    pub version: Version,
    /// What cannot be expressed ("set_field in OpenFlow 1.0", "meter instruction").
    pub what: &'static str,
}

impl EncodeError {
    /// `what` cannot be expressed in `version`.
    pub const fn unsupported(version: Version, what: &'static str) -> Self {
        EncodeError { version, what }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cannot be expressed in {}", self.what, self.version)
    }
}

impl std::error::Error for EncodeError {}

/// Error type number of experimenter errors (`OFPET_EXPERIMENTER`, 1.2+).
pub const OFPET_EXPERIMENTER: u16 = 0xffff;

fn error_table(version: Version) -> &'static [ErrorTypeEntry] {
    match version {
        Version::V1_0 => OF10,
        Version::V1_1 => OF11,
        Version::V1_2 => OF12,
        Version::V1_3 => OF13,
        Version::V1_4 => OF14,
    }
}

/// The names of error type `err_type` and code `code` in `version`, as the
/// specification spells them without prefix (`("BAD_REQUEST",
/// Some("BAD_LEN"))`): `None` for an unknown type, `Some((type, None))` for a
/// known type with an unknown code. `OFPET_EXPERIMENTER` (1.2+) has no codes.
pub fn error_names(
    version: Version,
    err_type: u16,
    code: u16,
) -> Option<(&'static str, Option<&'static str>)> {
    if err_type == OFPET_EXPERIMENTER && version >= Version::V1_2 {
        return Some(("EXPERIMENTER", None));
    }
    let (_, tname, codes) = error_table(version)
        .iter()
        .find(|(t, _, _)| *t == err_type)?;
    let cname = codes.iter().find(|(c, _)| *c == code).map(|(_, n)| *n);
    Some((tname, cname))
}

/// Every (type, code) pair `version` defines, in table order.
pub fn error_codes(version: Version) -> impl Iterator<Item = (u16, u16)> {
    error_table(version)
        .iter()
        .flat_map(|(t, _, codes)| codes.iter().map(move |(c, _)| (*t, *c)))
}

/// Spellings that differ between OpenFlow 1.0 and later versions for the
/// same error (type name, 1.0 code name, 1.1+ code name).
const RENAMED: &[(&str, &str, &str)] = &[
    ("BAD_REQUEST", "BAD_VENDOR", "BAD_EXPERIMENTER"),
    ("BAD_REQUEST", "BAD_SUBTYPE", "BAD_EXP_TYPE"),
    ("BAD_REQUEST", "BAD_STAT", "BAD_MULTIPART"),
    ("BAD_ACTION", "BAD_VENDOR", "BAD_EXPERIMENTER"),
    ("BAD_ACTION", "BAD_VENDOR_TYPE", "BAD_EXP_TYPE"),
    ("FLOW_MOD_FAILED", "ALL_TABLES_FULL", "TABLE_FULL"),
    ("FLOW_MOD_FAILED", "BAD_EMERG_TIMEOUT", "BAD_TIMEOUT"),
];

/// Translates an error (type, code) of `from` into the pair with the same
/// meaning in `to` (e.g. OpenFlow 1.0 `FLOW_MOD_FAILED/BAD_COMMAND` (3, 4)
/// is OpenFlow 1.3 (5, 6)).
///
/// Errors with no counterpart in `to` become `BAD_REQUEST/EPERM` (1, 5), the
/// generic refusal every version has; OpenFlow 1.0's
/// `FLOW_MOD_FAILED/UNSUPPORTED` becomes `BAD_INSTRUCTION/UNSUP_INST` and
/// back.
pub fn map_error_code(from: Version, to: Version, err_type: u16, code: u16) -> (u16, u16) {
    if from == to {
        return (err_type, code);
    }
    const FALLBACK: (u16, u16) = (1, 5);
    let Some((tname, Some(cname))) = error_names(from, err_type, code) else {
        return FALLBACK;
    };
    let (tname, cname) = match (tname, cname) {
        ("FLOW_MOD_FAILED", "UNSUPPORTED") if from == Version::V1_0 => {
            ("BAD_INSTRUCTION", "UNSUP_INST")
        }
        ("BAD_INSTRUCTION", "UNSUP_INST") if to == Version::V1_0 => {
            ("FLOW_MOD_FAILED", "UNSUPPORTED")
        }
        _ => (tname, cname),
    };
    let mut candidates = vec![cname];
    for (t, old, new) in RENAMED {
        if *t == tname {
            if cname == *old {
                candidates.push(new);
            } else if cname == *new {
                candidates.push(old);
            }
        }
    }
    if tname == "BAD_REQUEST" && cname == "BAD_MULTIPART" {
        candidates.push("BAD_STAT");
    }
    let Some((t, _, codes)) = error_table(to).iter().find(|(_, n, _)| *n == tname) else {
        return FALLBACK;
    };
    codes
        .iter()
        .find(|(_, n)| candidates.contains(n))
        .map(|(c, _)| (*t, *c))
        .unwrap_or(FALLBACK)
}

impl From<DecodeError> for ErrorKind {
    fn from(err: DecodeError) -> ErrorKind {
        err.kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_a_defined_code() {
        use ErrorKind::*;
        let kinds = [
            BadVersion,
            BadType,
            BadMultipart,
            BadExperimenter,
            BadExpType,
            BadLen,
            BadPort,
            BadTableId,
            MultipartBufferOverflow,
            BadMatchType,
            BadMatchLen,
            BadMatchTag,
            BadDlAddrMask,
            BadNwAddrMask,
            BadWildcards,
            BadField,
            BadValue,
            BadMask,
            BadPrereq,
            DupField,
            BadActionType,
            BadActionLen,
            BadActionExperimenter,
            BadActionExpType,
            BadOutPort,
            BadActionArgument,
            BadOutGroup,
            BadSetType,
            BadSetLen,
            BadSetArgument,
            UnknownInstruction,
            UnsupportedInstruction,
            BadInstructionTableId,
            BadInstructionLen,
            BadInstructionExperimenter,
            BadFlowModCommand,
            BadFlowModFlags,
            BadGroupModCommand,
            BadGroupType,
            BadBucket,
            BadMeterModCommand,
            BadMeterBand,
            BadConfig,
            BadPropertyType,
            BadPropertyLen,
            BadBundleType,
            BadRole,
            RoleStale,
            BadTableModTable,
            BadTableModConfig,
            BadBundleId,
            BundleExist,
            BundleClosed,
            OutOfBundles,
            BadBundleFlags,
            BundleMsgTooMany,
            BundleMsgFailed,
            IsSlave,
            BufferUnknown,
            BadPortModPort,
            BadHwAddr,
            GroupExists,
            InvalidGroup,
            GroupLoop,
            UnknownGroup,
            BadWatch,
            TableFull,
            BadFlowTableId,
            FlowOverlap,
            UnknownMeter,
            MeterExists,
            InvalidMeter,
            BadMeterFlags,
            BadMeterRate,
            OutOfBands,
            BadTableFeatures,
            MonitorExists,
            UnknownMonitor,
            BadMonitorCommand,
            BadMonitorFlags,
            BadMonitorTableId,
        ];
        for v in Version::ALL {
            for k in kinds {
                let (t, c) = k.ofp_code(v);
                assert!(
                    matches!(error_names(v, t, c), Some((_, Some(_)))),
                    "{k:?} in {v} gives undefined ({t}, {c})"
                );
            }
        }
        assert_eq!(BadLen.ofp_code(Version::V1_0), (1, 6));
        assert_eq!(DupField.ofp_code(Version::V1_3), (4, 10));
        assert_eq!(BadPropertyLen.ofp_code(Version::V1_4), (14, 1));
        assert_eq!(BadFlowModCommand.ofp_code(Version::V1_0), (3, 4));
    }

    #[test]
    fn names_of_each_version() {
        assert_eq!(
            error_names(Version::V1_0, 3, 4),
            Some(("FLOW_MOD_FAILED", Some("BAD_COMMAND")))
        );
        assert_eq!(
            error_names(Version::V1_3, 5, 6),
            Some(("FLOW_MOD_FAILED", Some("BAD_COMMAND")))
        );
        assert_eq!(
            error_names(Version::V1_4, 17, 15),
            Some(("BUNDLE_FAILED", Some("BUNDLE_IN_PROGRESS")))
        );
        assert_eq!(error_names(Version::V1_3, 14, 0), None);
        assert_eq!(error_names(Version::V1_1, 11, 0), None);
        assert_eq!(
            error_names(Version::V1_1, 1, 10),
            Some(("BAD_REQUEST", None))
        );
        assert_eq!(
            error_names(Version::V1_2, 0xffff, 7),
            Some(("EXPERIMENTER", None))
        );
        assert_eq!(error_codes(Version::V1_0).count(), 2 + 9 + 9 + 6 + 2 + 3);
    }

    #[test]
    fn of10_of13_mapping() {
        let (a, b) = (Version::V1_0, Version::V1_3);
        assert_eq!(map_error_code(a, b, 3, 4), (5, 6));
        assert_eq!(map_error_code(b, a, 5, 6), (3, 4));
        assert_eq!(map_error_code(a, b, 1, 2), (1, 2));
        assert_eq!(map_error_code(a, b, 1, 3), (1, 3));
        assert_eq!(map_error_code(a, b, 3, 0), (5, 1));
        assert_eq!(map_error_code(a, b, 3, 5), (3, 1));
        assert_eq!(map_error_code(b, a, 3, 1), (3, 5));
        assert_eq!(map_error_code(b, a, 4, 10), (1, 5));
        // Every 1.0 error that survives the trip to 1.3 comes back unchanged.
        for (t, c) in error_codes(a) {
            let there = map_error_code(a, b, t, c);
            if there != (1, 5) {
                assert_eq!(map_error_code(b, a, there.0, there.1), (t, c), "({t}, {c})");
            }
        }
    }
}
