import React from 'react';
import { formatPrice } from '../format';

export interface Item {
  id: string;
  name: string;
  price: number;
  tags: string[];
}

export function filterItems(items: Item[], query: string, tags: string[]): Item[] {
  return items.filter(
    (item) =>
      item.name.toLowerCase().includes(query.toLowerCase()) && tags.every((tag) => item.tags.includes(tag)),
  );
}

export const ItemList = ({ items }: { items: Item[] }) => (
  <ul>
    {items.map((item) => (
      <li key={item.id}>
        {item.name} <span>{formatPrice(item.price)}</span>
      </li>
    ))}
  </ul>
);
