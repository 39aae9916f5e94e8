"""Route tables, one module per group of endpoints; routers never import each other."""
