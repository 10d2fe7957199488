"""Look-ins: consent checked again by central, the offer relayed to the node, the answer back to the browser."""
