//! One or more cases per diagnostic code: each case is a small inline database, the code it must
//! produce, and where that diagnostic must point (line, column and the text under the caret).
//! Every case's rendered diagnostics, in strict and in lenient mode, are an insta snapshot under
//! `tests/snapshots/`: they are the specification of the messages.

use std::collections::BTreeSet;
use sysreg_db::{load, Code, Loaded, Options, Severity, SourceFile, SourceMap};

/// The file name every case is loaded as.
const FILE: &str = "test.sysreg";

struct Case {
    name: &'static str,
    code: Code,
    /// Where the first diagnostic with `code` points: line, column, and the text under its
    /// caret (`""` for a position just past the end of the line).
    at: (u32, u32, &'static str),
    input: &'static [u8],
}

macro_rules! cases {
    ($( $name:ident: $code:ident at ($line:literal, $col:literal, $text:literal) $input:literal; )*) => {
        const CASES: &[Case] = &[$(
            Case {
                name: stringify!($name),
                code: Code::$code,
                at: ($line, $col, $text),
                input: $input,
            },
        )*];

        $(
            #[test]
            fn $name() {
                check(case(stringify!($name)));
            }
        )*
    };
}

cases! {
    // ---- SR0001 UnknownDirective -----------------------------------------------------------
    unknown_directive_suggests_the_closest: UnknownDirective at (2, 1, "FieldX")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nFieldX\t63:0\tA\nEndSysreg\n";
    unknown_directive_in_lower_case: UnknownDirective at (1, 1, "sysreg")
        b"sysreg\tFOO\t3\t0\t0\t0\t0\n";
    unknown_directive_without_suggestion: UnknownDirective at (2, 1, "Bananas")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nBananas\t63:32\tA\nField\t31:0\tB\nEndSysreg\n";

    // ---- SR0002 MisplacedDirective ---------------------------------------------------------
    field_outside_a_block: MisplacedDirective at (1, 1, "Field")
        b"Field\t63:0\tA\n";
    enum_outside_a_block: MisplacedDirective at (1, 1, "Enum")
        b"Enum\t63:0\tA\n\t0b0\tX\nEndEnum\n";
    fields_in_sysreg_fields: MisplacedDirective at (2, 1, "Fields")
        b"SysregFields\tF\nFields\tX\nField\t63:0\tA\nEndSysregFields\n";
    mapping_in_prefix: MisplacedDirective at (3, 1, "Mapping")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nPrefix\tP\nMapping\tX\nField\t63:0\tA\nEndPrefix\nField\t63:0\tA\nEndSysreg\n";
    mapping_outside_a_block: MisplacedDirective at (1, 1, "Mapping")
        b"Mapping\tX\n";
    end_enum_without_enum: MisplacedDirective at (3, 1, "EndEnum")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t63:0\tA\nEndEnum\nEndSysreg\n";
    enum_value_outside_enum: MisplacedDirective at (2, 2, "0b0")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\n\t0b0\tX\nField\t63:0\tA\nEndSysreg\n";
    end_sysreg_without_block: MisplacedDirective at (1, 1, "EndSysreg")
        b"EndSysreg\n";
    end_sysreg_closing_sysreg_fields: MisplacedDirective at (3, 1, "EndSysreg")
        b"SysregFields\tF\nField\t63:0\tA\nEndSysreg\n";
    prefix_outside_a_block: MisplacedDirective at (1, 1, "Prefix")
        b"Prefix\tP\n";
    end_prefix_without_prefix: MisplacedDirective at (3, 1, "EndPrefix")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:0\nEndPrefix\nEndSysreg\n";

    // ---- SR0003 WrongFieldCount ------------------------------------------------------------
    too_many_words: WrongFieldCount at (2, 14, "B C")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t63:0\tA\tB C\nEndSysreg\n";
    too_few_words: WrongFieldCount at (2, 11, "")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t63:0\nEndSysreg\n";
    too_few_words_in_sysreg: WrongFieldCount at (1, 19, "")
        b"Sysreg\tFOO\t3\t0\t0\t0\nRes0\t63:0\nEndSysreg\n";
    directive_alone: WrongFieldCount at (1, 7, "")
        b"Sysreg\nRes0\t63:0\nEndSysreg\n";
    placeholder_with_a_blank_is_one_word: WrongFieldCount at (2, 7, "")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nFields\nEndSysreg\n";
    trailing_comment: WrongFieldCount at (1, 22, "# comment here")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\t# comment here\nRes0\t63:0\nEndSysreg\n";
    terminator_with_a_word: WrongFieldCount at (3, 9, "A")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:0\tA\nEndEnum\tA\nEndSysreg\tFOO\n";
    enum_value_line_with_trailing_comment: WrongFieldCount at (3, 8, "# zero")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:0\tA\n\t0b0\tX\t# zero\nEndEnum\nEndSysreg\n";
    enum_value_line_without_name: WrongFieldCount at (3, 5, "")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:0\tA\n\t0b1\nEndEnum\nEndSysreg\n";

    // ---- SR0004 WhitespaceOnlyLine ---------------------------------------------------------
    whitespace_only_line: WhitespaceOnlyLine at (2, 1, " \t ")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\n \t \nRes0\t63:0\nEndSysreg\n";

    // ---- SR0005 CarriageReturn -------------------------------------------------------------
    crlf_line_endings: CarriageReturn at (2, 21, "\r")
        b"# comment\nSysreg\tFOO\t3\t0\t0\t0\t0\r\nRes0\t63:0\r\nEndSysreg\r\n";

    // ---- SR0006 InvalidUtf8 ----------------------------------------------------------------
    invalid_utf8: InvalidUtf8 at (2, 6, "\u{fffd}")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\n# caf\xe9 \xff\nRes0\t63:0\nEndSysreg\n";

    // ---- SR0007 UnclosedBlock --------------------------------------------------------------
    sysreg_unclosed_at_end_of_file: UnclosedBlock at (1, 1, "Sysreg")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:0\n";
    sysreg_fields_unclosed_at_end_of_file: UnclosedBlock at (1, 1, "SysregFields")
        b"SysregFields\tF\nRes0\t63:0\n";
    enum_unclosed_at_end_of_file: UnclosedBlock at (2, 1, "Enum")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:0\tA\n\t0b0\tX\n";
    prefix_unclosed_at_end_of_file: UnclosedBlock at (2, 1, "Prefix")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nPrefix\tP\nRes0\t63:0\n";
    sysreg_unclosed_before_next_sysreg: UnclosedBlock at (3, 1, "Sysreg")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:0\nSysreg\tBAR\t3\t0\t0\t0\t1\nRes0\t63:0\nEndSysreg\n";
    sysreg_fields_unclosed_before_sysreg: UnclosedBlock at (3, 1, "Sysreg")
        b"SysregFields\tF\nRes0\t63:0\nSysreg\tBAR\t3\t0\t0\t0\t1\nRes0\t63:0\nEndSysreg\n";
    directive_inside_enum: UnclosedBlock at (4, 1, "Field")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:1\tA\n\t0b0\tX\nField\t0\tB\nEndSysreg\n";
    end_sysreg_inside_enum: UnclosedBlock at (4, 1, "EndSysreg")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:0\tA\n\t0b0\tX\nEndSysreg\n";
    sysreg_inside_enum: UnclosedBlock at (4, 1, "Sysreg")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:0\tA\n\t0b0\tX\nSysreg\tBAR\t3\t0\t0\t0\t1\nRes0\t63:0\nEndSysreg\n";
    end_sysreg_inside_prefix: UnclosedBlock at (4, 1, "EndSysreg")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nPrefix\tP\nRes0\t63:0\nEndSysreg\n";
    prefix_inside_prefix: UnclosedBlock at (4, 1, "Prefix")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nPrefix\tP\nRes0\t63:0\nPrefix\tQ\nRes0\t63:0\nEndPrefix\nRes0\t63:0\nEndSysreg\n";

    // ---- SR0008 InvalidEnumLine ------------------------------------------------------------
    hexadecimal_enum_value: InvalidEnumLine at (3, 2, "0x1")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:0\tA\n\t0x1\tONE\nEndEnum\nEndSysreg\n";
    misspelt_end_enum: InvalidEnumLine at (4, 1, "EndEunm")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:0\tA\n\t0b1\tONE\nEndEunm\nEndEnum\nEndSysreg\n";

    // ---- SR0010 BitRangeSyntax -------------------------------------------------------------
    bit_range_with_a_dash: BitRangeSyntax at (2, 7, "63-0")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t63-0\tA\nEndSysreg\n";
    bit_range_with_two_colons: BitRangeSyntax at (2, 6, "63:32:0")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:32:0\nRes0\t31:0\nEndSysreg\n";

    // ---- SR0011 BitPosition ----------------------------------------------------------------
    gap_of_one_bit: BitPosition at (3, 7, "30:0")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t63:32\tA\nField\t30:0\tB\nEndSysreg\n";
    gap_of_several_bits: BitPosition at (2, 6, "31:0")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t31:0\nEndSysreg\n";
    overlap: BitPosition at (3, 7, "33:0")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t63:32\tA\nField\t33:0\tB\nEndSysreg\n";
    overlap_of_one_bit: BitPosition at (3, 5, "8:0")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t63:8\tA\nRaz\t8:0\nEndSysreg\n";
    wrong_order: BitPosition at (2, 7, "31:0")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t31:0\tA\nField\t63:32\tB\nEndSysreg\n";
    field_after_fields: BitPosition at (3, 6, "63:0")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nFields\tF\nRes0\t63:0\nEndSysreg\nSysregFields\tF\nRes0\t63:0\nEndSysregFields\n";
    field_after_mapping: BitPosition at (3, 7, "0")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nMapping\tBAR\nField\t0\tX\nEndSysreg\nSysreg\tBAR\t3\t0\t0\t0\t1\nRes0\t63:0\nEndSysreg\n";
    field_after_bit_0_in_prefix: BitPosition at (4, 7, "63:0")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nPrefix\tP\nRes0\t63:0\nField\t63:0\tA\nEndPrefix\nRes0\t63:0\nEndSysreg\n";

    // ---- SR0012 BitOutOfRange --------------------------------------------------------------
    high_bit_out_of_range: BitOutOfRange at (2, 7, "64:0")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t64:0\tA\nEndSysreg\n";
    low_bit_out_of_range: BitOutOfRange at (2, 7, "63:64")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t63:64\tA\nEndSysreg\n";
    bit_number_overflowing: BitOutOfRange at (2, 6, "99999999999999999999999")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nRes1\t99999999999999999999999\nEndSysreg\n";

    // ---- SR0013 BitRangeReversed -----------------------------------------------------------
    bit_range_reversed: BitRangeReversed at (2, 7, "0:63")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t0:63\tA\nEndSysreg\n";

    // ---- SR0014 UnspecifiedBits ------------------------------------------------------------
    bit_0_unspecified: UnspecifiedBits at (3, 1, "EndSysreg")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t63:1\tA\nEndSysreg\n";
    empty_sysreg: UnspecifiedBits at (2, 1, "EndSysreg")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEndSysreg\n";
    sysreg_fields_incomplete: UnspecifiedBits at (3, 1, "EndSysregFields")
        b"SysregFields\tF\nRes0\t63:16\nEndSysregFields\n";
    prefix_incomplete: UnspecifiedBits at (4, 1, "EndPrefix")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nPrefix\tP\nField\t63:8\tA\nEndPrefix\nField\t63:0\tA\nEndSysreg\n";

    // ---- SR0015 FieldsNotFirst -------------------------------------------------------------
    mapping_after_fields: FieldsNotFirst at (3, 1, "Mapping")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:8\nMapping\tBAR\nEndSysreg\nSysreg\tBAR\t3\t0\t0\t0\t1\nRes0\t63:0\nEndSysreg\n";
    second_fields_line: FieldsNotFirst at (3, 1, "Fields")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nMapping\tBAR\nFields\tF\nEndSysreg\nSysreg\tBAR\t3\t0\t0\t0\t1\nRes0\t63:0\nEndSysreg\n";

    // ---- SR0016 PrefixNotFirst -------------------------------------------------------------
    prefix_after_fields: PrefixNotFirst at (3, 1, "Prefix")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:8\nPrefix\tP\nRes0\t63:0\nEndPrefix\nRes0\t7:0\nEndSysreg\n";

    // ---- SR0020 DuplicateSysreg ------------------------------------------------------------
    duplicate_sysreg: DuplicateSysreg at (4, 8, "FOO")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:0\nEndSysreg\nSysreg\tFOO\t3\t0\t0\t0\t1\nRes1\t63:0\nEndSysreg\n";

    // ---- SR0021 DuplicateSysregFields ------------------------------------------------------
    duplicate_sysreg_fields: DuplicateSysregFields at (4, 14, "F")
        b"SysregFields\tF\nRes0\t63:0\nEndSysregFields\nSysregFields\tF\nRes0\t63:0\nEndSysregFields\n";

    // ---- SR0022 DuplicatePrefix ------------------------------------------------------------
    duplicate_prefix: DuplicatePrefix at (5, 8, "P")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nPrefix\tP\nRes0\t63:0\nEndPrefix\nPrefix\tP\nRes1\t63:0\nEndPrefix\nRes0\t63:0\nEndSysreg\n";

    // ---- SR0023 DuplicateEnumValue ---------------------------------------------------------
    duplicate_enum_value: DuplicateEnumValue at (4, 2, "0b0001")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nUnsignedEnum\t63:60\tSecurity\n\t0b0001\tEL3\n\t0b0001\tNSACR_RFR\nEndEnum\nRes0\t59:0\nEndSysreg\n";
    duplicate_enum_value_spelt_differently: DuplicateEnumValue at (4, 2, "0b00")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:62\tA\n\t0b0\tX\n\t0b00\tY\nEndEnum\nRes0\t61:0\nEndSysreg\n";

    // ---- SR0030 UnknownFieldSet ------------------------------------------------------------
    fields_names_nothing: UnknownFieldSet at (2, 8, "MPAM1_ELx")
        b"Sysreg\tMPAM1_EL12\t3\t5\t10\t5\t0\nFields\tMPAM1_ELx\nEndSysreg\n";

    // ---- SR0031 UnknownMappingTarget -------------------------------------------------------
    mapping_names_nothing: UnknownMappingTarget at (2, 9, "FOO_EL1")
        b"Sysreg\tFOO_EL12\t3\t5\t0\t0\t0\nMapping\tFOO_EL1\nEndSysreg\n";

    // ---- SR0032 EnumValueNotBinary ---------------------------------------------------------
    enum_value_not_binary: EnumValueNotBinary at (3, 2, "0b0002")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:60\tBWE\n\t0b0002\tFEAT_BWE2\nEndEnum\nRes0\t59:0\nEndSysreg\n";

    // ---- SR0033 EnumValueTooWide -----------------------------------------------------------
    enum_value_too_wide_for_field: EnumValueTooWide at (3, 2, "0b100")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:62\tA\n\t0b100\tX\nEndEnum\nRes0\t61:0\nEndSysreg\n";
    enum_value_too_wide_for_a_single_bit: EnumValueTooWide at (3, 2, "0b10")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63\tA\n\t0b10\tX\nEndEnum\nRes0\t62:0\nEndSysreg\n";
    enum_value_wider_than_64_bits: EnumValueTooWide at (3, 2, "0b10000000000000000000000000000000000000000000000000000000000000000")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:0\tA\n\t0b10000000000000000000000000000000000000000000000000000000000000000\tX\nEndEnum\nEndSysreg\n";

    // ---- SR0034 DuplicateFieldName ---------------------------------------------------------
    duplicate_field_name: DuplicateFieldName at (3, 12, "A")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t63:32\tA\nField\t31:0\tA\nEndSysreg\n";
    duplicate_field_name_in_prefix: DuplicateFieldName at (5, 17, "A")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nPrefix\tP\nEnum\t63:32\tA\nEndEnum\nSignedEnum\t31:0\tA\nEndEnum\nEndPrefix\nField\t63:0\tA\nEndSysreg\n";

    // ---- SR0035 DuplicateEnumName ----------------------------------------------------------
    duplicate_enum_name: DuplicateEnumName at (4, 6, "X")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:0\tA\n\t0b0\tX\n\t0b1\tX\nEndEnum\nEndSysreg\n";

    // ---- SR0036 DuplicateEncoding ----------------------------------------------------------
    duplicate_encoding: DuplicateEncoding at (4, 1, "Sysreg")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:0\nEndSysreg\nSysreg\tBAR\t3\t0\t0\t0\t0\nRes0\t63:0\nEndSysreg\n";

    // ---- SR0037 EncodingNotNumber ----------------------------------------------------------
    encoding_not_a_number: EncodingNotNumber at (1, 14, "x")
        b"Sysreg\tFOO\t3\tx\t0\t0\t0\nRes0\t63:0\nEndSysreg\n";
    encoding_far_too_large: EncodingNotNumber at (1, 20, "300")
        b"Sysreg\tFOO\t3\t0\t0\t0\t300\nRes0\t63:0\nEndSysreg\n";
    encoding_with_a_comment: EncodingNotNumber at (1, 18, "#")
        b"Sysreg\tFOO\t3\t0\t0\t# op2\nRes0\t63:0\nEndSysreg\n";

    // ---- SR0038 EncodingOutOfRange ---------------------------------------------------------
    encoding_out_of_range: EncodingOutOfRange at (1, 12, "4")
        b"Sysreg\tFOO\t4\t0\t16\t0\t0\nRes0\t63:0\nEndSysreg\n";

    // ---- SR0039 InvalidName ----------------------------------------------------------------
    invalid_register_name: InvalidName at (1, 8, "FOO-1")
        b"Sysreg\tFOO-1\t3\t0\t0\t0\t0\nRes0\t63:0\nEndSysreg\n";
    invalid_field_and_value_names: InvalidName at (2, 11, "9A")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:0\t9A\n\t0b0\t8BIT\n\t0b1\tTWO.0\nEndEnum\nEndSysreg\n";

    // ---- SR0040 InvalidAnnotation ----------------------------------------------------------
    annotation_with_unknown_access: InvalidAnnotation at (2, 11, "RX")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\n#@ access RX\nRes0\t63:0\nEndSysreg\n";
    annotation_with_unknown_key: InvalidAnnotation at (2, 4, "acces")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\n#@ acces RO\nRes0\t63:0\nEndSysreg\n";
    annotation_outside_a_sysreg: InvalidAnnotation at (1, 1, "#@")
        b"#@ access RO\nSysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:0\nEndSysreg\n";
    annotation_inside_an_enum: InvalidAnnotation at (3, 2, "#@")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\nEnum\t63:0\tA\n\t#@ access RO\nEndEnum\nEndSysreg\n";

    // ---- SR0041 DuplicateAnnotation --------------------------------------------------------
    second_access_annotation: DuplicateAnnotation at (4, 11, "WO")
        b"Sysreg\tFOO\t3\t0\t0\t0\t0\n#@ access RO\nRes0\t63:0\n#@ access WO\nEndSysreg\n";
}

fn case(name: &str) -> &'static Case {
    CASES
        .iter()
        .find(|c| c.name == name)
        .expect("case in table")
}

fn load_case(input: &[u8], options: &Options) -> (SourceMap, Loaded) {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new(FILE, input));
    let loaded = load(&sources, options);
    (sources, loaded)
}

/// The input as shown in a snapshot: numbered lines, each as a Rust string literal so tabs,
/// trailing blanks and carriage returns are visible.
fn show_input(input: &[u8]) -> String {
    let text = String::from_utf8_lossy(input);
    let text = text.strip_suffix('\n').unwrap_or(&text);
    text.split('\n')
        .enumerate()
        .map(|(i, line)| format!("{:>3} {line:?}\n", i + 1))
        .collect()
}

/// The characters of `input` a span covers (`""` past the end of its line).
fn text_at(input: &[u8], line: u32, col: u32, len: u32) -> String {
    let text = SourceFile::new(FILE, input).text;
    let line = text.split('\n').nth(line as usize - 1).unwrap_or("");
    line.chars()
        .skip(col as usize - 1)
        .take(len as usize)
        .collect()
}

/// Checks a case: its code is reported, in both modes, where the table says, with the
/// severity the code has; and the rendered diagnostics match the snapshot.
fn check(case: &Case) {
    let (sources, strict) = load_case(case.input, &Options::default());
    let (_, lenient) = load_case(case.input, &Options::lenient());
    let strict_text = strict.diagnostics.render(&sources);
    let lenient_text = lenient.diagnostics.render(&sources);
    for (loaded, options, text) in [
        (&strict, Options::default(), &strict_text),
        (&lenient, Options::lenient(), &lenient_text),
    ] {
        let d = loaded
            .diagnostics
            .iter()
            .find(|d| d.code == case.code)
            .unwrap_or_else(|| panic!("{}: no {:?} reported:\n{text}", case.name, case.code));
        let (line, col, word) = case.at;
        let loc = d.span.loc;
        assert_eq!(
            (loc.line, loc.col),
            (line, col),
            "{}: wrong location:\n{text}",
            case.name
        );
        assert_eq!(
            text_at(case.input, loc.line, loc.col, d.span.len),
            word,
            "{}: the caret is not under the offending text:\n{text}",
            case.name
        );
        assert_eq!(d.severity, case.code.severity(options.strictness));
        assert_eq!(
            loaded.database.is_none(),
            loaded.diagnostics.has_errors(),
            "{}: a database must be returned exactly when there is no error",
            case.name
        );
    }
    let lenient_part = if lenient_text == strict_text {
        "(same as strict)\n".to_string()
    } else {
        lenient_text
    };
    let snapshot = format!(
        "input:\n{}\nstrict:\n{strict_text}\nlenient:\n{lenient_part}",
        show_input(case.input)
    );
    insta::assert_snapshot!(case.name, snapshot);
}

#[test]
fn every_code_has_a_case_that_reports_it() {
    let covered: BTreeSet<Code> = CASES.iter().map(|c| c.code).collect();
    let missing: Vec<Code> = Code::ALL
        .iter()
        .copied()
        .filter(|c| !covered.contains(c))
        .collect();
    assert!(missing.is_empty(), "codes without a case: {missing:?}");
    for case in CASES {
        let (sources, loaded) = load_case(case.input, &Options::default());
        assert!(
            loaded.diagnostics.iter().any(|d| d.code == case.code),
            "{} does not report {:?}:\n{}",
            case.name,
            case.code,
            loaded.diagnostics.render(&sources)
        );
    }
    let names: BTreeSet<&str> = CASES.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), CASES.len(), "case names must be unique");
}

#[test]
fn codes_are_stable_and_severities_follow_strictness() {
    let numbers: Vec<String> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        numbers,
        [
            "SR0001", "SR0002", "SR0003", "SR0004", "SR0005", "SR0006", "SR0007", "SR0008",
            "SR0010", "SR0011", "SR0012", "SR0013", "SR0014", "SR0015", "SR0016", "SR0020",
            "SR0021", "SR0022", "SR0023", "SR0030", "SR0031", "SR0032", "SR0033", "SR0034",
            "SR0035", "SR0036", "SR0037", "SR0038", "SR0039", "SR0040", "SR0041",
        ]
    );
    use sysreg_db::Strictness::{Lenient, Strict};
    let always_warnings = [
        Code::UnknownFieldSet,
        Code::UnknownMappingTarget,
        Code::DuplicateEncoding,
    ];
    let relaxed = [
        Code::DuplicateEnumValue,
        Code::EnumValueNotBinary,
        Code::EnumValueTooWide,
        Code::DuplicateFieldName,
        Code::DuplicateEnumName,
        Code::EncodingOutOfRange,
        Code::InvalidName,
    ];
    for &code in Code::ALL {
        let (strict, lenient) = if always_warnings.contains(&code) {
            (Severity::Warning, Severity::Warning)
        } else if relaxed.contains(&code) {
            (Severity::Error, Severity::Warning)
        } else {
            (Severity::Error, Severity::Error)
        };
        assert_eq!(code.severity(Strict), strict, "{code:?}");
        assert_eq!(code.severity(Lenient), lenient, "{code:?}");
        assert_eq!(
            code.relaxed_by_lenient(),
            relaxed.contains(&code),
            "{code:?}"
        );
        // The checks the kernel script makes have its message; the others have none.
        assert_eq!(
            code.kernel_message().is_empty(),
            code.number() >= 30,
            "{code:?}"
        );
    }
    assert_eq!(Code::BitPosition.name(), "BitPosition");
    assert_eq!(Code::BitPosition.number(), 11);
}

/// Loads several files and renders their diagnostics.
fn render_files(files: &[(&str, &[u8])], options: &Options) -> String {
    let mut sources = SourceMap::new();
    for (name, text) in files {
        sources.add(SourceFile::new(*name, text));
    }
    load(&sources, options).diagnostics.render(&sources)
}

#[test]
fn duplicate_sysreg_across_files() {
    let rendered = render_files(
        &[
            (
                "one.sysreg",
                b"Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:0\nEndSysreg\n",
            ),
            (
                "two.sysreg",
                b"# again\nSysreg\tFOO\t3\t0\t0\t0\t1\nRes0\t63:0\nEndSysreg\n",
            ),
        ],
        &Options::default(),
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn blocks_do_not_span_files() {
    let rendered = render_files(
        &[
            ("one.sysreg", b"Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:0\n"),
            ("two.sysreg", b"EndSysreg\n"),
        ],
        &Options::default(),
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn one_typo_is_reported_once() {
    // A bad bit range and a missing bit range each stop the bit-position checks until the next
    // valid line, so no gap or "unspecified bits" follows from them; an overlapping slice does
    // not make the bits it overlaps "undescribed" again.
    let rendered = render_files(
        &[(
            FILE,
            b"Sysreg\tFOO\t3\t0\t0\t0\t0\n\
              Field\t63:x\tA\n\
              Field\t47:16\tB\n\
              Field\t40:32\tC\n\
              Field\t15:8\tD\n\
              Res0\n\
              EndSysreg\n",
        )],
        &Options::default(),
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn diagnostics_beyond_the_limit_are_counted() {
    let mut input = Vec::new();
    for _ in 0..5 {
        input.extend_from_slice(b"Bogus\n");
    }
    let options = Options {
        max_diagnostics: 2,
        ..Options::default()
    };
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new(FILE, &input));
    let loaded = load(&sources, &options);
    assert_eq!(loaded.diagnostics.iter().count(), 2);
    assert_eq!(loaded.diagnostics.dropped(), 3);
    assert_eq!(loaded.diagnostics.error_count(), 5);
    insta::assert_snapshot!(loaded.diagnostics.render(&sources));
}

#[test]
fn long_lines_are_cut_around_the_caret() {
    // An offending word far to the right (cut on the left), and one in the middle of a long
    // line (cut on both sides).
    let mut input = b"Sysreg\tFOO\t3\t0\t0\t0\t0\nField\t63:32\t".to_vec();
    input.extend_from_slice("X".repeat(200).as_bytes());
    input.extend_from_slice(b"\tEXTRA\n");
    input.extend_from_slice(" ".repeat(100).as_bytes());
    input.extend_from_slice(b"Field 31-0 ");
    input.extend_from_slice("Y".repeat(200).as_bytes());
    input.extend_from_slice(b"\nEndSysreg\n");
    let rendered = render_files(&[(FILE, &input)], &Options::default());
    insta::assert_snapshot!(rendered);
}

#[test]
fn a_valid_database_renders_nothing() {
    let rendered = render_files(
        &[(FILE, b"Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:0\nEndSysreg\n")],
        &Options::default(),
    );
    assert_eq!(rendered, "");
}
