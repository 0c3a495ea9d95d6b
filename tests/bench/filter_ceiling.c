/* Lower bound for `varnode filter` on the benchmark's filters: the same output
 * (PASS, FORMAT/FT on records with a failing genotype, or on every record above 8
 * samples, failing GTs set missing, failing sites dropped) computed in one C pass,
 * as a bcftools plugin. Not part of varnode: bench_filter.py --ceiling builds it to
 * measure how fast any engine can be on this machine once its output is fixed.
 *
 *   bcftools +filter_ceiling.so IN -Oz -o OUT -- QUAL_MIN DP_MIN GQ_MIN GT_DP_MIN
 */
#include <stdio.h>
#include <stdlib.h>
#include <htslib/vcf.h>

#define FT_EVERYWHERE_ABOVE 8

static bcf_hdr_t *header;
static float qual_min;
static int depth_min, gq_min, gt_depth_min, samples, pass_id;
static int32_t *info, *gq, *depth, *gt;
static int n_info, n_gq, n_depth, n_gt;
static const char **ft;
static long histogram[4];
static const char *FT_NAMES[4] = {"PASS", "LowGQ", "LowGtDepth", "LowGQ;LowGtDepth"};

const char *about(void) { return "Benchmark-only lower bound for varnode filter.\n"; }

void version(const char **bcftools, const char **htslib)
{
    *bcftools = BCFTOOLS_VERSION;
    *htslib = hts_version();
}

int init(int argc, char **argv, bcf_hdr_t *in, bcf_hdr_t *out)
{
    if (argc != 5) {
        fprintf(stderr, "usage: -- QUAL_MIN DP_MIN GQ_MIN GT_DP_MIN\n");
        return -1;
    }
    qual_min = atof(argv[1]);
    depth_min = atoi(argv[2]);
    gq_min = atoi(argv[3]);
    gt_depth_min = atoi(argv[4]);
    header = out;
    if (bcf_hdr_append(out, "##FORMAT=<ID=FT,Number=1,Type=String,Description=\"Filters\">") ||
        bcf_hdr_sync(out))
        return -1;
    pass_id = bcf_hdr_id2int(out, BCF_DT_ID, "PASS");
    samples = bcf_hdr_nsamples(in);
    ft = malloc(sizeof(*ft) * (samples ? samples : 1));
    return 0;
}

static int fails(int32_t value, int minimum)
{
    return value != bcf_int32_missing && value != bcf_int32_vector_end && value < minimum;
}

bcf1_t *process(bcf1_t *rec)
{
    if (!bcf_float_is_missing(rec->qual) && rec->qual < qual_min)
        return NULL;
    if (bcf_get_info_int32(header, rec, "DP", &info, &n_info) > 0 && fails(info[0], depth_min))
        return NULL;
    bcf_update_filter(header, rec, &pass_id, 1);
    if (!samples)
        return rec;
    int have_gq = bcf_get_format_int32(header, rec, "GQ", &gq, &n_gq) > 0;
    int have_depth = bcf_get_format_int32(header, rec, "DP", &depth, &n_depth) > 0;
    int n = bcf_get_genotypes(header, rec, &gt, &n_gt), ploidy = n / samples, failing = 0;
    for (int s = 0; s < samples; s++) {
        int code = (have_gq && fails(gq[s], gq_min)) | (have_depth && fails(depth[s], gt_depth_min)) << 1;
        histogram[code]++;
        ft[s] = FT_NAMES[code];
        if (code) {
            failing = 1;
            for (int k = 0; k < ploidy; k++)
                if (gt[s * ploidy + k] != bcf_int32_vector_end)
                    gt[s * ploidy + k] = bcf_gt_missing;
        }
    }
    if (failing)
        bcf_update_genotypes(header, rec, gt, n);
    if (failing || samples > FT_EVERYWHERE_ABOVE)
        bcf_update_format_string(header, rec, "FT", ft, samples);
    return rec;
}

void destroy(void)
{
    fprintf(stderr, "genotype codes: %ld %ld %ld %ld\n", histogram[0], histogram[1],
            histogram[2], histogram[3]);
    free(info);
    free(gq);
    free(depth);
    free(gt);
    free(ft);
}
