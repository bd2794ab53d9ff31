// Projects world-atlas's 110m countries once, at build time, into dashboard/src/map/world-paths.ts:
// one SVG path per ISO 3166-1 alpha-2 code, so the dashboard ships neither TopoJSON nor d3-geo.
// Coordinates are rounded to whole units of a 960×470 Equal Earth view and written as relative
// commands, which keeps the module small (tested: ≤ 30 KB gzip). Run: `npx tsx scripts/build-map.ts`.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { geoEqualEarth, geoStream, type GeoStream } from 'd3-geo'
import { feature } from 'topojson-client'
import type { Topology, GeometryCollection } from 'topojson-specification'
import type { Feature, FeatureCollection, Geometry } from 'geojson'
import { projectRoot } from '../server/paths.ts'

export const WIDTH = 960
export const HEIGHT = 470

/**
 * world-atlas names countries by ISO 3166-1 numeric code. No package with the numeric → alpha-2 table
 * is installed, so this one is written by hand for exactly the ids countries-110m.json uses (the
 * build fails on an id missing here). 010 Antarctica is left out: it is no one's visitor country.
 */
const ALPHA2: Record<string, string> = {
  '004': 'AF', '008': 'AL', '012': 'DZ', '024': 'AO', '031': 'AZ', '032': 'AR', '036': 'AU', '040': 'AT',
  '044': 'BS', '050': 'BD', '051': 'AM', '056': 'BE', '064': 'BT', '068': 'BO', '070': 'BA', '072': 'BW',
  '076': 'BR', '084': 'BZ', '090': 'SB', '096': 'BN', '100': 'BG', '104': 'MM', '108': 'BI', '112': 'BY',
  '116': 'KH', '120': 'CM', '124': 'CA', '140': 'CF', '144': 'LK', '148': 'TD', '152': 'CL', '156': 'CN',
  '158': 'TW', '170': 'CO', '178': 'CG', '180': 'CD', '188': 'CR', '191': 'HR', '192': 'CU', '196': 'CY',
  '203': 'CZ', '204': 'BJ', '208': 'DK', '214': 'DO', '218': 'EC', '222': 'SV', '226': 'GQ', '231': 'ET',
  '232': 'ER', '233': 'EE', '238': 'FK', '242': 'FJ', '246': 'FI', '250': 'FR', '260': 'TF', '262': 'DJ',
  '266': 'GA', '268': 'GE', '270': 'GM', '275': 'PS', '276': 'DE', '288': 'GH', '300': 'GR', '304': 'GL',
  '320': 'GT', '324': 'GN', '328': 'GY', '332': 'HT', '340': 'HN', '348': 'HU', '352': 'IS', '356': 'IN',
  '360': 'ID', '364': 'IR', '368': 'IQ', '372': 'IE', '376': 'IL', '380': 'IT', '384': 'CI', '388': 'JM',
  '392': 'JP', '398': 'KZ', '400': 'JO', '404': 'KE', '408': 'KP', '410': 'KR', '414': 'KW', '417': 'KG',
  '418': 'LA', '422': 'LB', '426': 'LS', '428': 'LV', '430': 'LR', '434': 'LY', '440': 'LT', '442': 'LU',
  '450': 'MG', '454': 'MW', '458': 'MY', '466': 'ML', '478': 'MR', '484': 'MX', '496': 'MN', '498': 'MD',
  '499': 'ME', '504': 'MA', '508': 'MZ', '512': 'OM', '516': 'NA', '524': 'NP', '528': 'NL', '540': 'NC',
  '548': 'VU', '554': 'NZ', '558': 'NI', '562': 'NE', '566': 'NG', '578': 'NO', '586': 'PK', '591': 'PA',
  '598': 'PG', '600': 'PY', '604': 'PE', '608': 'PH', '616': 'PL', '620': 'PT', '624': 'GW', '626': 'TL',
  '630': 'PR', '634': 'QA', '642': 'RO', '643': 'RU', '646': 'RW', '682': 'SA', '686': 'SN', '688': 'RS',
  '694': 'SL', '703': 'SK', '704': 'VN', '705': 'SI', '706': 'SO', '710': 'ZA', '716': 'ZW', '724': 'ES',
  '728': 'SS', '729': 'SD', '732': 'EH', '740': 'SR', '748': 'SZ', '752': 'SE', '756': 'CH', '760': 'SY',
  '762': 'TJ', '764': 'TH', '768': 'TG', '780': 'TT', '784': 'AE', '788': 'TN', '792': 'TR', '795': 'TM',
  '800': 'UG', '804': 'UA', '807': 'MK', '818': 'EG', '826': 'GB', '834': 'TZ', '840': 'US', '854': 'BF',
  '858': 'UY', '860': 'UZ', '862': 'VE', '887': 'YE', '894': 'ZM',
}
/** Shapes without a numeric id: Kosovo has the code GeoIP databases use; the other two are drawn with the country IP data names. */
const BY_NAME: Record<string, string> = { Kosovo: 'XK', 'N. Cyprus': 'CY', Somaliland: 'SO' }
const SKIP = new Set(['010'])

/** Numbers joined as SVG allows: a minus sign separates as well as a space or comma does. */
function joinNumbers(numbers: number[]): string {
  return numbers.map((n, i) => (i === 0 || n < 0 ? String(n) : ' ' + n)).join('')
}

/**
 * A d3 stream that writes relative SVG commands with whole-unit coordinates. Repeated points are
 * dropped, and so are rings that shrink below a triangle at this scale (invisible anyway).
 */
function pathWriter(): GeoStream & { result(): string } {
  let out = ''
  // The current point as SVG sees it: after `z` that is the closed ring's first point.
  let x = 0
  let y = 0
  let ring: Array<[number, number]> = []
  let inPolygon = false
  const flush = (close: boolean) => {
    if (ring.length < (close ? 3 : 2)) {
      ring = []
      return
    }
    const [first, ...rest] = ring
    out += out.length === 0 ? `M${first![0]} ${first![1]}` : `m${joinNumbers([first![0] - x, first![1] - y])}`
    let px = first![0]
    let py = first![1]
    const deltas: number[] = []
    for (const [qx, qy] of rest) {
      deltas.push(qx - px, qy - py)
      px = qx
      py = qy
    }
    out += 'l' + joinNumbers(deltas)
    if (close) {
      out += 'z'
      x = first![0]
      y = first![1]
    } else {
      x = px
      y = py
    }
    ring = []
  }
  return {
    point(px: number, py: number) {
      const p: [number, number] = [Math.round(px), Math.round(py)]
      const last = ring[ring.length - 1]
      if (last && last[0] === p[0] && last[1] === p[1]) return
      ring.push(p)
    },
    lineStart() {
      ring = []
    },
    lineEnd() {
      if (inPolygon) {
        // d3 repeats a ring's first point at its end; `z` closes it instead.
        const head = ring[0]
        const tail = ring[ring.length - 1]
        if (ring.length > 1 && head && tail && head[0] === tail[0] && head[1] === tail[1]) ring.pop()
      }
      flush(inPolygon)
    },
    polygonStart() {
      inPolygon = true
    },
    polygonEnd() {
      inPolygon = false
    },
    sphere() {},
    result: () => out,
  }
}

export function buildMap(): { module: string; countries: number } {
  const topology = JSON.parse(readFileSync(join(projectRoot, 'node_modules', 'world-atlas', 'countries-110m.json'), 'utf8')) as Topology<{ countries: GeometryCollection<{ name: string }> }>
  const countries = feature(topology, topology.objects.countries) as FeatureCollection<Geometry, { name: string }>
  const kept = countries.features.filter((country) => !SKIP.has(String(country.id)))
  const projection = geoEqualEarth().fitExtent(
    [
      [4, 4],
      [WIDTH - 4, HEIGHT - 4],
    ],
    { type: 'FeatureCollection', features: kept } as FeatureCollection,
  )
  const paths = new Map<string, string>()
  for (const country of kept as Array<Feature<Geometry, { name: string }>>) {
    const code = country.id === undefined ? BY_NAME[country.properties.name] : ALPHA2[String(country.id)]
    if (!code) throw new Error(`no alpha-2 code for ${String(country.id)} ${country.properties.name}`)
    const writer = pathWriter()
    // d3's stream clips and resamples as it projects; the writer only rounds and encodes.
    geoStream(country, projection.stream(writer))
    const d = writer.result()
    if (!d) continue
    // A shape drawn under another country's code (N. Cyprus, Somaliland) joins that country's path.
    paths.set(code, (paths.get(code) ?? '') + d)
  }
  const entries = [...paths].sort(([a], [b]) => a.localeCompare(b))
  const module =
    '// Generated by scripts/build-map.ts from world-atlas countries-110m (Natural Earth, public domain)\n' +
    '// with an Equal Earth projection; do not edit. ISO 3166-1 alpha-2 code → SVG path.\n' +
    `export const MAP_WIDTH = ${WIDTH}\nexport const MAP_HEIGHT = ${HEIGHT}\n` +
    'export const WORLD_PATHS: Record<string, string> = {\n' +
    entries.map(([code, d]) => `  ${code}: '${d}',\n`).join('') +
    '}\n'
  return { module, countries: entries.length }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { module, countries } = buildMap()
  const target = join(projectRoot, 'dashboard', 'src', 'map', 'world-paths.ts')
  writeFileSync(target, module)
  console.log(`wrote ${target}: ${countries} countries, ${module.length} bytes`)
}
