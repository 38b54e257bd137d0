// Package invoice holds the billing domain types.
package invoice

import "time"

type Line struct {
	SKU       string `json:"sku"`
	Quantity  int    `json:"quantity"`
	UnitCents int64  `json:"unit_cents"`
}

type Request struct {
	CustomerID string `json:"customer_id"`
	Currency   string `json:"currency"`
	Lines      []Line `json:"lines"`
}

type Invoice struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	Currency   string    `json:"currency"`
	Lines      []Line    `json:"lines"`
	TotalCents int64     `json:"total_cents"`
	IssuedAt   time.Time `json:"issued_at"`
}

// New prices the request's lines and stamps the invoice.
func New(id string, req Request, now time.Time) Invoice {
	var total int64
	for _, l := range req.Lines {
		total += int64(l.Quantity) * l.UnitCents
	}
	return Invoice{
		ID:         id,
		CustomerID: req.CustomerID,
		Currency:   req.Currency,
		Lines:      req.Lines,
		TotalCents: total,
		IssuedAt:   now,
	}
}
