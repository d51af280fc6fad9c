package ledger

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"tongdu/platform/fault"
)

// Errors of rule 9's contracts.
var (
	// ErrContractExists is a second contract of a project with the same payee (its name
	// normalised): one payee, one contract, so that no spelling opens a second allowance.
	ErrContractExists = fault.New(fault.Exists, "CONTRACT_EXISTS", "the project has a contract with this payee")
)

// Contract is a project's contract with a contractor or supplier (rule 9: contracts are
// records; every disbursement names one, and at most 97% of its amount is paid before
// the project is ACCEPTED).
type Contract struct {
	ID         string    `json:"id"`
	ProjectID  string    `json:"projectId"`
	Payee      string    `json:"payee"` // normalised (NormalizePayee)
	AmountFen  int64     `json:"amountFen"`
	ItemIDs    []string  `json:"itemIds,omitempty"`
	CreateTime time.Time `json:"createTime"`
	// Account is the signed-in account that entered the contract: its token's subject
	// (rule 16: who acts), never taken from the request.
	Account string `json:"account,omitempty"`
}

// NormalizePayee is the form a payee's name is kept and compared in: NFKC (full-width
// letters and digits become their usual forms), trimmed, every run of inner white space
// one space. "川建三公司" and " 川建三公司 " and "川建三公司" with an ideographic space at
// its end are one payee.
func NormalizePayee(name string) string {
	return strings.Join(strings.FieldsFunc(norm.NFKC.String(name), unicode.IsSpace), " ")
}

// NewContract checks a contract: a payee that is more than white space, a positive
// amount, item ids each named once.
func NewContract(c Contract, now time.Time) (Contract, error) {
	var bad fault.Collect
	c.Payee = NormalizePayee(c.Payee)
	if c.Payee == "" {
		bad.Violation("contract.payee", "names the payee (not only white space)")
	}
	if c.AmountFen <= 0 {
		bad.Violation("contract.amountFen", "must be greater than 0 fen")
	}
	seen := map[string]bool{}
	for i, it := range c.ItemIDs {
		if seen[it] {
			bad.Violation(fmt.Sprintf("contract.itemIds[%d]", i), "names item "+it+" twice")
		}
		seen[it] = true
	}
	if err := bad.Err(); err != nil {
		return Contract{}, err
	}
	c.CreateTime = now
	return c, nil
}

// ContractOpen reports whether a project in this status may sign contracts and pay them:
// from APPROVED on (the owners approved it, rule 5), never while only PROPOSED, never
// once CANCELLED.
func ContractOpen(status string) error {
	if status == "PROPOSED" || status == "CANCELLED" || status == "STATUS_UNSPECIFIED" || status == "" {
		return fault.Refuse("PROJECT_NOT_ACTIVE", fmt.Sprintf("the project is %s: contracts and disbursements wait for its approval, and end with its cancellation", status),
			map[string]string{"status": status})
	}
	return nil
}

// HeldFen is what is still held back of a contract (rule 9): its retention, never more
// than what is unpaid of it, and 0 once it is paid in full.
func HeldFen(contractFen, paidFen int64) int64 {
	held := RetentionFen(contractFen)
	if unpaid := contractFen - paidFen; unpaid < held {
		held = unpaid
	}
	if held < 0 {
		return 0
	}
	return held
}
