package ledger

import (
	"fmt"
	"strings"

	"tongdu/platform/fault"
)

// Stream is an upkeep income stream of a compound.
type Stream int

const (
	StreamUnspecified Stream = iota
	ParkingOwners            // owners' parking rent
	ParkingPublic            // parking let to outsiders
	ShopRent                 // common rooms let as shops
	OtherIncome
)

var streamNames = [...]string{"UNSPECIFIED", "PARKING_OWNERS", "PARKING_PUBLIC", "SHOP_RENT", "OTHER"}

func (s Stream) String() string {
	if s < 0 || int(s) >= len(streamNames) {
		return fmt.Sprintf("Stream(%d)", int(s))
	}
	return streamNames[s]
}

// FromCommonParts reports whether a stream uses the owners' common parts for business
// (rule 10): letting parking to outsiders, rooms as shops, or any other use. Such a
// stream needs a passed COMMON_PART_BUSINESS resolution naming its use before its first
// income; owners' own parking rent needs none.
func (s Stream) FromCommonParts() bool {
	return s == ParkingPublic || s == ShopRent || s == OtherIncome
}

// Use is the business use of common parts a resolution must name for this stream (the
// survey service's Survey.BusinessUse names), "" for a stream that needs none.
func (s Stream) Use() string {
	switch s {
	case ParkingPublic:
		return "PARKING_PUBLIC"
	case ShopRent:
		return "SHOP_RENT"
	case OtherIncome:
		return "OTHER_USE"
	}
	return ""
}

// Expense is an upkeep expense kind.
type Expense int

const (
	ExpenseUnspecified Expense = iota
	Cleaning
	Repairs
	Greening
	Security
	Utilities
	OtherExpense
)

var expenseNames = [...]string{"UNSPECIFIED", "CLEANING", "REPAIRS", "GREENING", "SECURITY", "UTILITIES", "OTHER"}

func (e Expense) String() string {
	if e < 0 || int(e) >= len(expenseNames) {
		return fmt.Sprintf("Expense(%d)", int(e))
	}
	return expenseNames[e]
}

// UpkeepBounds are the limits of a maintenance book: its fund never negative.
func UpkeepBounds() []Bound { return []Bound{MinBound(FundAccount, 0)} }

// Income credits a compound's maintenance fund from a stream.
func Income(s Stream, amount int64) (Transaction, error) {
	if err := positive(amount, "income.amountFen"); err != nil {
		return Transaction{}, err
	}
	return Transaction{Kind: TxIncome, Postings: []Posting{{FundAccount, amount}, {IncomeAccount(s), -amount}}}, nil
}

// Spend pays an upkeep expense from a compound's maintenance fund.
func Spend(k Expense, payee string, amount int64) (Transaction, error) {
	if err := positive(amount, "expense.amountFen"); err != nil {
		return Transaction{}, err
	}
	return Transaction{Kind: TxExpense, Memo: payee, Postings: []Posting{{FundAccount, -amount}, {ExpenseAccount(k), amount}}}, nil
}

// ResolutionFacts is what the survey service says of a business-use resolution.
type ResolutionFacts struct {
	Found, OfCompound, BusinessUse, Passed bool
	Figures                                []string
	Uses                                   []string // the business uses it names (Survey.BusinessUse names)
}

// CheckBusinessResolution is rule 10 (upkeep income): a new stream from common parts
// needs a passed COMMON_PART_BUSINESS resolution of the compound that names the stream's
// use among its business uses; a resolution for another use is RESOLUTION_NOT_FOR_USE.
func CheckBusinessResolution(surveyID string, s Stream, f ResolutionFacts) error {
	switch {
	case surveyID == "":
		return fmt.Errorf("%w: the first income from common parts needs resolutionSurveyId, a passed COMMON_PART_BUSINESS resolution", ErrResolution)
	case !f.Found:
		return fmt.Errorf("%w: no survey %s", ErrResolution, surveyID)
	case !f.OfCompound || !f.BusinessUse:
		return fmt.Errorf("%w: survey %s is not a COMMON_PART_BUSINESS resolution of this compound", ErrResolution, surveyID)
	case !f.Passed:
		return fmt.Errorf("%w: resolution %s did not pass: %v", ErrResolution, surveyID, f.Figures)
	}
	for _, u := range f.Uses {
		if u == s.Use() {
			return nil
		}
	}
	return fault.Refuse("RESOLUTION_NOT_FOR_USE",
		fmt.Sprintf("resolution %s allows %s, not %s: income of %s needs a resolution naming that use", surveyID, usesText(f.Uses), s.Use(), s),
		map[string]string{"stream": s.String(), "use": s.Use(), "uses": strings.Join(f.Uses, ",")})
}

func usesText(uses []string) string {
	if len(uses) == 0 {
		return "no business use"
	}
	return strings.Join(uses, ", ")
}
