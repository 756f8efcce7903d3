//! Decode and encode errors.
//!
//! A [`DecodeError`] is cheap to copy: an [`ErrorKind`] that says which
//! OpenFlow error the peer gets back, and a `&'static str` context naming the
//! object that failed ("oxm length", "action list"). [`ErrorKind::ofp_code`]
//! gives the (type, code) pair of the error message for each version.

use std::fmt;

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
    /// OFPRRFC_BAD_ROLE: unknown role.
    BadRole,
    /// OFPTFFC_BAD_TABLE / BAD_TYPE / BAD_LEN ...: malformed table-features property.
    BadTableFeatures,
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
                BadFlowModCommand => (3, 3),
                BadFlowModFlags => (3, 3),
                BadConfig => (4, 1),
                _ => (1, 6),
            };
        }
        match self {
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
            BadFlowModCommand => (5, 2),
            BadFlowModFlags => (5, 7),
            BadGroupModCommand => (6, 11),
            BadGroupType => (6, 10),
            BadBucket => (6, 12),
            BadConfig => (7, 2),
            BadRole => (11, 2),
            BadMeterModCommand => (12, 2),
            BadMeterBand => (12, 6),
            BadTableFeatures => (13, 1),
            BadPropertyType | BadPropertyLen if version < Version::V1_4 => (1, 6),
            BadPropertyType => (1, 14),
            BadPropertyLen => (1, 6),
            BadBundleType => (17, 11),
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
