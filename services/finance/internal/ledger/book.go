package ledger

import "fmt"

// BookState is a book with its plan, quotas, balances and transaction count, as the
// store reads it.
type BookState struct {
	Book     Book
	Plan     *Plan
	Seq      int64
	Balances map[string]int64
}

// Posted is the outcome of a write: the transaction as stored and whether this call
// replayed an earlier one with the same request id and body (rule 7: the same id with
// the same body returns the first result).
type Posted struct {
	Tx       Transaction
	After    map[string]int64 // balances of its accounts just after it
	Replayed bool
}

// BoundError says which account would have left its bounds, and by how much. It is
// ErrLimitExceeded unless the service explains it as the money rule it keeps.
type BoundError struct {
	Account string
	Balance int64 // what the balance would have been
	Limit   int64
	TooLow  bool // below its minimum (else above its maximum)
}

func (e *BoundError) Error() string {
	side := "above its maximum"
	if e.TooLow {
		side = "below its minimum"
	}
	return fmt.Sprintf("account %s would stand at %s, %s of %s", e.Account, Yuan(e.Balance), side, Yuan(e.Limit))
}

// Unwrap makes a bound no rule explained a LIMIT_EXCEEDED refusal whose message is the
// figures above.
func (e *BoundError) Unwrap() error { return ErrLimitExceeded }

// By is how far beyond the bound the transaction would have gone, in fen.
func (e *BoundError) By() int64 {
	if e.TooLow {
		return e.Limit - e.Balance
	}
	return e.Balance - e.Limit
}
