package view

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/dated"
)

// China is the district's clock (dated.Zone: UTC+8 all year), fixed so that no time zone database
// is needed at run time.
var China = dated.Zone

// Yuan writes an amount in fen as yuan with thousands separators: 1234567 → "¥12,345.67".
func Yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s¥%s.%02d", sign, grouped(fen/100), fen%100)
}

// Count writes a whole number with thousands separators.
func Count[N ~int | ~int32 | ~int64](n N) string {
	if n < 0 {
		return "-" + grouped(int64(-n))
	}
	return grouped(int64(n))
}

func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Percent writes a share (0.4567) as "45.7%".
func Percent(share float64) string { return strconv.FormatFloat(share*100, 'f', 1, 64) + "%" }

// Date writes a time as the district's date, "2021-06-30"; "" when unset.
func Date(ts *timestamppb.Timestamp) string {
	if ts == nil || !ts.IsValid() || ts.AsTime().IsZero() {
		return ""
	}
	return ts.AsTime().In(China).Format("2006-01-02")
}

// DateTime writes a time as the district's date and minute, "2021-06-30 14:05".
func DateTime(ts *timestamppb.Timestamp) string {
	if ts == nil || !ts.IsValid() || ts.AsTime().IsZero() {
		return ""
	}
	return ts.AsTime().In(China).Format("2006-01-02 15:04")
}
