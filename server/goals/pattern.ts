// A page goal's path with `*` wildcards, as an anchored RE2 pattern for ClickHouse's match():
// `*` matches any run of characters (slashes included); every other character stands for itself.
export function pathPattern(path: string): string {
  return `^${path
    .split('*')
    .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
    .join('.*')}$`
}
