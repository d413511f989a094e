/**
 * The 193 member states of the United Nations, by ISO 3166 alpha-2 code and continent (the UN
 * geoscheme's regions, with Cyprus and Türkiye in Asia as there). Generated drill federations
 * draw their members from here, so "193 members" is every UN member state.
 */
const BY_REGION: Record<string, string> = {
  africa: 'DZ AO BJ BW BF BI CV CM CF TD KM CG CD CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY MG MW ML MR MU MA MZ NA NE NG RW ST SN SC SL SO ZA SS SD TZ TG TN UG ZM ZW',
  americas: 'AG AR BS BB BZ BO BR CA CL CO CR CU DM DO EC SV GD GT GY HT HN JM MX NI PA PY PE KN LC VC SR TT US UY VE',
  asia: 'AF AM AZ BH BD BT BN KH CN CY GE IN ID IR IQ IL JP JO KZ KW KG LA LB MY MV MN MM NP KP OM PK PH QA KR SA SG LK SY TJ TH TL TR TM AE UZ VN YE',
  europe: 'AL AD AT BY BE BA BG HR CZ DK EE FI FR DE GR HU IS IE IT LV LI LT LU MT MD MC ME NL MK NO PL PT RO RU SM RS SK SI ES SE CH UA GB',
  oceania: 'AU FJ KI MH FM NR NZ PW PG WS SB TO TV VU'
}

export interface UnMember { id: string, region: string }

export const UN_MEMBERS: readonly UnMember[] = Object.entries(BY_REGION)
  .flatMap(([region, codes]) => codes.split(' ').map(id => ({ id, region })))

/**
 * The first `count` members in an order that keeps every continent in proportion (each next
 * pick is from the continent least represented so far relative to its size), so a generated
 * federation of 60 spans all five continents. Beyond 193, members X194, X195 … are added round
 * the continents.
 */
export function generateMembers (count: number): UnMember[] {
  const regions = Object.keys(BY_REGION)
  const lists = new Map(regions.map(r => [r, UN_MEMBERS.filter(m => m.region === r)]))
  const taken = new Map(regions.map(r => [r, 0]))
  const out: UnMember[] = []
  while (out.length < Math.min(count, UN_MEMBERS.length)) {
    const next = regions
      .filter(r => (taken.get(r) as number) < (lists.get(r) as UnMember[]).length)
      .sort((a, b) => (taken.get(a) as number) / (lists.get(a) as UnMember[]).length - (taken.get(b) as number) / (lists.get(b) as UnMember[]).length)[0] as string
    out.push((lists.get(next) as UnMember[])[taken.get(next) as number] as UnMember)
    taken.set(next, (taken.get(next) as number) + 1)
  }
  for (let i = out.length; i < count; i++) out.push({ id: `X${i + 1}`, region: regions[i % regions.length] as string })
  return out
}
