package ledger

import "fmt"

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
// (rule 10): letting parking to outsiders or rooms as shops. Such a stream needs a passed
// COMMON_PART_BUSINESS resolution before its first income.
func (s Stream) FromCommonParts() bool { return s == ParkingPublic || s == ShopRent }

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
}

// CheckBusinessResolution is rule 10 (upkeep income): a new stream from common parts
// needs a passed COMMON_PART_BUSINESS resolution of the compound.
func CheckBusinessResolution(surveyID string, f ResolutionFacts) error {
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
	return nil
}
