const SEPARATORS = /[\s_]+/g;

export default function slugify(title, maxLength = 80) {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(SEPARATORS, '-')
    .replace(/[^a-z0-9-]/g, '')
    .slice(0, maxLength);
}
