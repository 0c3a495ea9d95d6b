/* The execution engine of `varnode filter`: a bcftools plugin applying a compiled
 * filter plan (written by varnode.filtering from filters.yaml) in one pass per record.
 *
 *   bcftools +filter_plugin.so IN -Oz -o OUT -- PLAN STATS [hard] [set-missing]
 *
 * PLAN has one tab-separated line per filter, in filters.yaml order:
 *   site|genotype  NAME  KIND  TAG  TYPE  OP  LOW  HIGH
 * KIND: qual, info, format (site: fails if any sample fails), vaf, ab (from AD and
 * GT), types (LOW: a bit mask of variant types, bit 0 for VCF_REF and bit k+1 for
 * htslib's type 1<<k; fails when the record's type is exactly one of them, as bcftools'
 * TYPE="snp" || ...), or upstream (a site filter a bcftools pass before this plugin
 * already applied: only counted here); TYPE: i or f; OP: lt le gt ge eq ne outside;
 * unused columns "-".
 * Lines "describe NAME DESCRIPTION" set the ##FILTER description of NAME.
 *
 * Semantics are bcftools': a missing value never fails; failing sites get the filter's
 * name added to FILTER and passing ones without any FILTER get PASS (filter -m+ -s);
 * a failing genotype's GT alleles become missing (+setGT -n .). Every genotype gets
 * FORMAT/FT: PASS or the names of the filters it failed. At exit STATS holds counts of
 * sites per bit mask of failed site filters and of genotypes per mask of failed
 * genotype filters, and stderr names the last record read.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/kstring.h>
#include <htslib/vcf.h>

#define MAX_FILTERS 16

enum kind { QUAL, INFO, FORMAT, VAF, AB, TYPES, UPSTREAM };
static const char *const KINDS[] = {"qual", "info", "format", "vaf", "ab", "types", "upstream"};
enum op { LT, LE, GT, GE, EQ, NE, OUTSIDE };
static const char *const OPS[] = {"lt", "le", "gt", "ge", "eq", "ne", "outside"};

typedef struct {
    char name[256];
    enum kind kind;
    char tag[256];
    int is_float;
    enum op op;
    double low, high;
    int filter_id;
} filter_t;

static filter_t site[MAX_FILTERS], genotype[MAX_FILTERS];
static int n_site, n_genotype, hard, set_missing, samples, pass_id;
static bcf_hdr_t *header;
static char *stats_path;
static uint64_t site_counts[1 << MAX_FILTERS], genotype_counts[1 << MAX_FILTERS];
static char *ft_table[1 << MAX_FILTERS];
static const char **ft;
static int32_t *ints, *ad, *gt, *codes;
static float *floats;
static double *values[MAX_FILTERS], *site_values;
static int n_ints, n_ad, n_gt, n_floats;
static kstring_t last_record;

const char *about(void) { return "Applies a varnode filter plan (see varnode.filtering).\n"; }

void version(const char **bcftools, const char **htslib)
{
    *bcftools = BCFTOOLS_VERSION;
    *htslib = hts_version();
}

/* Missing values are NaN: bcftools never fails them, except that missing != x holds. */
static int fails(double value, const filter_t *f)
{
    if (isnan(value))
        return f->op == NE;
    switch (f->op) {
    case LT: return value < f->low;
    case LE: return value <= f->low;
    case GT: return value > f->low;
    case GE: return value >= f->low;
    case EQ: return value == f->low;
    case NE: return value != f->low;
    default: return value < f->low || value > f->high;
    }
}

/* One value per sample of a Number=1 numeric FORMAT field (NaN where missing). */
static void format_values(bcf1_t *rec, const filter_t *f, double *out)
{
    int n;
    if (f->is_float) {
        n = bcf_get_format_float(header, rec, f->tag, &floats, &n_floats);
        for (int s = 0; s < samples; s++)
            out[s] = n < samples || bcf_float_is_missing(floats[s]) ||
                             bcf_float_is_vector_end(floats[s])
                         ? NAN
                         : floats[s];
    } else {
        n = bcf_get_format_int32(header, rec, f->tag, &ints, &n_ints);
        for (int s = 0; s < samples; s++)
            out[s] = n < samples || ints[s] == bcf_int32_missing ||
                             ints[s] == bcf_int32_vector_end
                         ? NAN
                         : ints[s];
    }
}

static double info_value(bcf1_t *rec, const filter_t *f)
{
    if (f->is_float) {
        if (bcf_get_info_float(header, rec, f->tag, &floats, &n_floats) < 1 ||
            bcf_float_is_missing(floats[0]))
            return NAN;
        return floats[0];
    }
    if (bcf_get_info_int32(header, rec, f->tag, &ints, &n_ints) < 1 ||
        ints[0] == bcf_int32_missing)
        return NAN;
    return ints[0];
}

/* bcftools' 1-FMT/AD[:0]/smpl_sum(FMT/AD) per sample (NaN where AD is missing or sums
 * to 0), for genotypes carrying an ALT allele (vaf) or diploid REF/ALT calls, GT="RA"
 * (ab); other genotypes get INFINITY, which filter_genotypes never fails. */
static void allele_fractions(bcf1_t *rec, int ab_only, double *out)
{
    int n = bcf_get_format_int32(header, rec, "AD", &ad, &n_ad);
    int m = bcf_get_genotypes(header, rec, &gt, &n_gt);
    int width = n > 0 ? n / samples : 0, ploidy = m > 0 ? m / samples : 0;
    for (int s = 0; s < samples; s++) {
        out[s] = INFINITY;
        if (!ploidy)
            continue;
        int32_t *depths = width ? ad + s * width : NULL, *alleles = gt + s * ploidy;
        int called = 0, ref = 0, alt = 0, missing = 0;
        for (int k = 0; k < ploidy && alleles[k] != bcf_int32_vector_end; k++) {
            if (bcf_gt_is_missing(alleles[k])) {
                missing = 1;
                continue;
            }
            called++;
            if (bcf_gt_allele(alleles[k]) == 0)
                ref = 1;
            else
                alt = 1;
        }
        if (!alt || (ab_only && (called != 2 || !ref || missing)))
            continue;
        out[s] = NAN;
        if (!width || depths[0] == bcf_int32_missing || depths[0] == bcf_int32_vector_end)
            continue;
        double total = 0;
        for (int k = 0; k < width; k++)
            if (depths[k] != bcf_int32_missing && depths[k] != bcf_int32_vector_end)
                total += depths[k];
        if (total > 0)
            out[s] = 1.0 - depths[0] / total;
    }
}

/* Whether the record's variant types are exactly one of the types in `mask`. */
static int has_type(int types, int mask)
{
    if (types & (types - 1)) // several types: bcftools' TYPE="x" holds for none
        return 0;
    int index = types ? __builtin_ctz(types) + 1 : 0;
    return mask >> index & 1;
}

/* Position of `text` in `names` (the order of the matching enum), or -1. */
static int index_of(const char *text, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (!strcmp(text, names[i]))
            return i;
    return -1;
}

static int describe(bcf_hdr_t *out, const char *name, const char *description)
{
    bcf_hrec_t *hrec = bcf_hdr_get_hrec(out, BCF_HL_FLT, "ID", name, NULL);
    if (!hrec)
        return bcf_hdr_printf(out, "##FILTER=<ID=%s,Description=\"%s\">", name, description);
    int i = bcf_hrec_find_key(hrec, "Description");
    if (i < 0)
        return bcf_hrec_add_key(hrec, "Description", 11) ||
               bcf_hrec_set_val(hrec, hrec->nkeys - 1, description, strlen(description), 1);
    return bcf_hrec_set_val(hrec, i, description, strlen(description), 1);
}

static int read_plan(const char *path, bcf_hdr_t *out)
{
    FILE *file = fopen(path, "r");
    if (!file) {
        fprintf(stderr, "varnode filter plugin: cannot read plan %s\n", path);
        return -1;
    }
    char line[4096];
    while (fgets(line, sizeof(line), file)) {
        line[strcspn(line, "\n")] = 0;
        if (!*line)
            continue;
        char *fields[8] = {0};
        int n = 0;
        for (char *p = strtok(line, "\t"); p && n < 8; p = strtok(NULL, "\t"))
            fields[n++] = p;
        if (n == 3 && !strcmp(fields[0], "describe")) {
            if (describe(out, fields[1], fields[2]) < 0)
                goto bad;
            continue;
        }
        int is_site = n == 8 && !strcmp(fields[0], "site");
        if (n != 8 || (!is_site && strcmp(fields[0], "genotype")))
            goto bad;
        filter_t *f = is_site ? &site[n_site++] : &genotype[n_genotype++];
        if (n_site > MAX_FILTERS || n_genotype > MAX_FILTERS)
            goto bad;
        snprintf(f->name, sizeof(f->name), "%s", fields[1]);
        snprintf(f->tag, sizeof(f->tag), "%s", fields[3]);
        f->is_float = !strcmp(fields[4], "f");
        int kind = index_of(fields[2], KINDS, UPSTREAM + 1), op = index_of(fields[5], OPS, OUTSIDE + 1);
        if (kind < 0 || (kind != UPSTREAM && op < 0))
            goto bad;
        f->kind = kind;
        f->op = op;
        f->low = atof(fields[6]);
        f->high = atof(fields[7]);
    }
    fclose(file);
    if (bcf_hdr_sync(out) < 0)
        return -1;
    for (int i = 0; i < n_site; i++) {
        site[i].filter_id = bcf_hdr_id2int(out, BCF_DT_ID, site[i].name);
        if (!bcf_hdr_idinfo_exists(out, BCF_HL_FLT, site[i].filter_id)) {
            fprintf(stderr, "varnode filter plugin: no ##FILTER line for %s\n", site[i].name);
            return -1;
        }
    }
    return 0;
bad:
    fclose(file);
    fprintf(stderr, "varnode filter plugin: malformed plan line in %s\n", path);
    return -1;
}

static void report_last_record(void)
{
    if (last_record.l)
        fprintf(stderr, "varnode filter plugin: last record read %s\n", last_record.s);
}

int init(int argc, char **argv, bcf_hdr_t *in, bcf_hdr_t *out)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bcftools +filter_plugin.so IN -- PLAN STATS [hard] [set-missing]\n");
        return -1;
    }
    for (int i = 3; i < argc; i++) {
        hard |= !strcmp(argv[i], "hard");
        set_missing |= !strcmp(argv[i], "set-missing");
    }
    header = out;
    stats_path = strdup(argv[2]);
    samples = bcf_hdr_nsamples(in);
    if (read_plan(argv[1], out) < 0)
        return -1;
    if (samples && n_genotype) {
        if (bcf_hdr_printf(out, "##FORMAT=<ID=FT,Number=1,Type=String,Description=\"Genotype "
                                "filters failed (varnode filter): PASS or the failed filter "
                                "names separated by semicolons\">") < 0 ||
            bcf_hdr_sync(out) < 0)
            return -1;
        for (int code = 0; code < 1 << n_genotype; code++) {
            kstring_t names = {0, 0, NULL};
            for (int bit = 0; bit < n_genotype; bit++)
                if (code >> bit & 1)
                    ksprintf(&names, "%s%s", names.l ? ";" : "", genotype[bit].name);
            ft_table[code] = names.l ? ks_release(&names) : strdup("PASS");
        }
        ft = malloc(sizeof(*ft) * samples);
        codes = malloc(sizeof(*codes) * samples);
        for (int i = 0; i < n_genotype; i++)
            values[i] = malloc(sizeof(double) * samples);
    }
    site_values = malloc(sizeof(double) * (samples ? samples : 1));
    pass_id = bcf_hdr_id2int(out, BCF_DT_ID, "PASS");
    atexit(report_last_record);
    return 0;
}

static int site_mask(bcf1_t *rec)
{
    int mask = 0;
    for (int i = 0; i < n_site; i++) {
        filter_t *f = &site[i];
        int failed = 0;
        if (f->kind == UPSTREAM)
            failed = bcf_has_filter(header, rec, f->name) == 1;
        else if (f->kind == QUAL)
            failed = fails(bcf_float_is_missing(rec->qual) ? NAN : rec->qual, f);
        else if (f->kind == INFO)
            failed = fails(info_value(rec, f), f);
        else if (f->kind == TYPES)
            failed = has_type(bcf_get_variant_types(rec), (int)f->low);
        else if (samples) {
            format_values(rec, f, site_values);
            for (int s = 0; s < samples && !failed; s++)
                failed = fails(site_values[s], f);
        }
        if (failed) {
            mask |= 1 << i;
            if (f->kind != UPSTREAM)
                bcf_add_filter(header, rec, f->filter_id);
        }
    }
    if (!rec->d.n_flt)
        bcf_add_filter(header, rec, pass_id);
    return mask;
}

static void filter_genotypes(bcf1_t *rec)
{
    for (int i = 0; i < n_genotype; i++) {
        if (genotype[i].kind == FORMAT)
            format_values(rec, &genotype[i], values[i]);
        else
            allele_fractions(rec, genotype[i].kind == AB, values[i]);
    }
    int failing = 0;
    for (int s = 0; s < samples; s++) {
        int code = 0;
        for (int i = 0; i < n_genotype; i++)
            code |= (!isinf(values[i][s]) && fails(values[i][s], &genotype[i])) << i;
        codes[s] = code;
        ft[s] = ft_table[code];
        genotype_counts[code]++;
        failing |= code;
    }
    if (set_missing && failing) {
        int n = bcf_get_genotypes(header, rec, &gt, &n_gt);
        int ploidy = n > 0 ? n / samples : 0;
        for (int s = 0; s < samples; s++)
            for (int k = 0; codes[s] && k < ploidy; k++)
                if (gt[s * ploidy + k] != bcf_int32_vector_end)
                    gt[s * ploidy + k] = bcf_gt_missing;
        if (ploidy)
            bcf_update_genotypes(header, rec, gt, n);
    }
    bcf_update_format_string(header, rec, "FT", ft, samples);
}

bcf1_t *process(bcf1_t *rec)
{
    if (!bcf_seqname(header, rec)) { // what htslib makes of a truncated or garbled line
        fprintf(stderr, "varnode filter plugin: unreadable record (no contig of the header)\n");
        exit(1);
    }
    last_record.l = 0;
    ksprintf(&last_record, "%s:%" PRIhts_pos, bcf_seqname(header, rec), rec->pos + 1);
    bcf_unpack(rec, BCF_UN_ALL);
    int mask = site_mask(rec);
    site_counts[mask]++;
    if (hard && mask)
        return NULL;
    if (samples && n_genotype)
        filter_genotypes(rec);
    return rec;
}

void destroy(void)
{
    FILE *file = fopen(stats_path, "w");
    if (!file) {
        fprintf(stderr, "varnode filter plugin: cannot write %s\n", stats_path);
        exit(1);
    }
    for (int mask = 0; mask < 1 << n_site; mask++)
        if (site_counts[mask])
            fprintf(file, "site\t%d\t%llu\n", mask, (unsigned long long)site_counts[mask]);
    for (int code = 0; code < 1 << n_genotype; code++)
        if (genotype_counts[code])
            fprintf(file, "genotype\t%d\t%llu\n", code, (unsigned long long)genotype_counts[code]);
    if (fclose(file)) {
        fprintf(stderr, "varnode filter plugin: cannot write %s\n", stats_path);
        exit(1);
    }
}
